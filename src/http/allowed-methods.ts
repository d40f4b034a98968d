import findMyWay from 'find-my-way';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Remembers every route so a request with a known path but the wrong method can be told which
 * methods the path has (405 with `Allow`) instead of a misleading 404.
 */
export class AllowedMethods {
  readonly #router = findMyWay({ maxParamLength: 200 });

  add(methods: string | string[], url: string) {
    for (const method of Array.isArray(methods) ? methods : [methods]) {
      if ((METHODS as readonly string[]).includes(method) && !this.#router.hasRoute(method as 'GET', url)) {
        this.#router.on(method as 'GET', url, () => {});
      }
    }
  }

  for(path: string): string[] {
    return METHODS.filter((method) => this.#router.find(method, path) !== null);
  }
}
