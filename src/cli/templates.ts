import type { Command } from 'commander';
import { readInputFile, seg, UsageError } from './client.ts';
import { type ApiOptions, apiCommand, defined, jsonOption, print, run } from './command.ts';

const ORG = ['--org <org>', 'organization id or slug'] as const;
const base = (o: ApiOptions) => `/v1/organizations/${seg(o.org as string)}`;

/** subject, html and text from --subject and the files given; all three or none. */
function templateFrom(o: ApiOptions, command: string): Record<string, string> | undefined {
  const given = [o.subject, o.htmlFile, o.textFile].filter((value) => value !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) throw new UsageError(`${command}: give --subject, --html-file and --text-file together`);
  return {
    subject: o.subject as string,
    html: readInputFile(o.htmlFile as string),
    text: readInputFile(o.textFile as string),
  };
}

function withTemplateOptions(command: Command) {
  return command
    .option('--subject <liquid>', 'the subject template')
    .option('--html-file <path>', 'the HTML template (Liquid; must contain {{ accept_url }})')
    .option('--text-file <path>', 'the plain-text template (must contain {{ accept_url }})');
}

function templateCommands(program: Command) {
  const group = program
    .command('templates')
    .description("an organization's email templates per locale (Liquid), previews and test sends");
  apiCommand(group, 'list', 'the templates an organization has, and the supported locales', [
    'rsvp templates list --org acme',
  ])
    .requiredOption(...ORG)
    .action(run(async (client, o) => print(await client.call('GET', `${base(o)}/email-templates`))));
  apiCommand(group, 'get <locale>', "an organization's template for a locale", [
    'rsvp templates get de --org acme',
  ])
    .requiredOption(...ORG)
    .action(
      run(async (client, o, locale) =>
        print(await client.call('GET', `${base(o)}/email-templates/${seg(locale!)}`)),
      ),
    );
  withTemplateOptions(
    apiCommand(
      group,
      'set <locale>',
      'set the template for a locale (checked first: 422 with line and column)',
      [
        'rsvp templates set de --org acme --subject "{{ inviter.name }} lädt Sie ein" --html-file de.html --text-file de.txt',
      ],
    ),
  )
    .requiredOption(...ORG)
    .action(
      run(async (client, o, locale) => {
        const template = templateFrom(o, 'templates set');
        if (!template) throw new UsageError('templates set: give --subject, --html-file and --text-file');
        print(await client.call('PUT', `${base(o)}/email-templates/${seg(locale!)}`, template));
      }),
    );
  apiCommand(group, 'delete <locale>', 'go back to the built-in template for a locale', [
    'rsvp templates delete de --org acme',
  ])
    .requiredOption(...ORG)
    .action(
      run(async (client, o, locale) => {
        await client.call('DELETE', `${base(o)}/email-templates/${seg(locale!)}`);
        process.stdout.write(`deleted the ${locale} template; the built-in one applies\n`);
      }),
    );
  withTemplateOptions(
    apiCommand(
      group,
      'preview <locale>',
      'render without sending: a draft from files, else the stored or built-in one',
      [
        'rsvp templates preview de --org acme',
        'rsvp templates preview de --org acme --subject "Hallo" --html-file de.html --text-file de.txt',
        `rsvp templates preview en --org acme --data '{"kind":"reminder","message":"See you"}'`,
      ],
    ),
  )
    .requiredOption(...ORG)
    .option('--data <json>', 'invitation data instead of the sample, as JSON', jsonOption)
    .action(
      run(async (client, o, locale) => {
        const body = defined({ template: templateFrom(o, 'templates preview'), data: o.data });
        print(await client.call('POST', `${base(o)}/email-templates/${seg(locale!)}/preview`, body));
      }),
    );
  apiCommand(group, 'test <locale>', 'send yourself one test email in the template (a few per hour)', [
    'rsvp templates test de --org acme',
  ])
    .requiredOption(...ORG)
    .action(
      run(async (client, o, locale) =>
        print(await client.call('POST', `${base(o)}/email-templates/${seg(locale!)}/test`)),
      ),
    );
}

function brandingCommands(program: Command) {
  const group = program
    .command('branding')
    .description("an organization's email branding: logo, colour and sender name");
  apiCommand(group, 'get', 'show the branding', ['rsvp branding get --org acme'])
    .requiredOption(...ORG)
    .action(run(async (client, o) => print(await client.call('GET', `${base(o)}/email-branding`))));
  apiCommand(group, 'set', 'change the branding (options left out keep their value; "" clears one)', [
    'rsvp branding set --org acme --sender-name "Acme Team" --color "#0a7d32"',
    'rsvp branding set --org acme --logo-url https://acme.example/logo.png',
  ])
    .requiredOption(...ORG)
    .option('--logo-url <url>', 'an https image shown at the top of emails')
    .option('--color <hex>', 'the button colour, #rrggbb')
    .option('--sender-name <name>', 'the display name of the From header')
    .action(
      run(async (client, o) => {
        const clear = (value: unknown) => (value === '' ? null : value);
        const fields = defined({
          logo_url: clear(o.logoUrl),
          primary_color: clear(o.color),
          sender_name: clear(o.senderName),
        });
        if (Object.keys(fields).length === 0)
          throw new UsageError('branding set: nothing to change (see --help)');
        print(await client.call('PUT', `${base(o)}/email-branding`, fields));
      }),
    );
  apiCommand(group, 'delete', 'remove the branding', ['rsvp branding delete --org acme'])
    .requiredOption(...ORG)
    .action(
      run(async (client, o) => {
        await client.call('DELETE', `${base(o)}/email-branding`);
        process.stdout.write('deleted the branding\n');
      }),
    );
}

export function templateGroups(program: Command) {
  templateCommands(program);
  brandingCommands(program);
}
