/**
 * The ceiling: bare node:http answering an invitation-shaped JSON body, with no routing,
 * validation, auth or database. Usage: node servers/bare.ts <port>
 */
import http from 'node:http';

const body = JSON.stringify({
  id: 'inv_01k84hbg733s87nvbkl6',
  organization_id: 'org_01k84hbdt357c3p03nhj',
  target_type: 'organization',
  role: 'member',
  resource_id: null,
  actions: null,
  email: 'someone@example.com',
  status: 'pending',
  delivery_state: 'queued',
  create_time: '2026-11-23T12:00:00.000Z',
  expire_time: '2026-11-30T12:00:00.000Z',
  etag: '"1"',
});
const port = Number(process.argv[2]);
http
  .createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`ready ${port}`));
