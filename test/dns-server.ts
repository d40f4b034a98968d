import { createSocket } from 'node:dgram';

/**
 * A DNS server on loopback that answers TXT questions from `records` (name → TXT strings) and
 * NXDOMAIN to everything else: a real resolver for `rsvp serve` to ask through `DNS_SERVERS`,
 * so the browser tests verify domains over the wire without touching the real DNS.
 */
export async function startDnsServer(records: Map<string, string[]>) {
  const socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    const answer = respond(query, records);
    if (answer) socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    server: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const TXT = 16;

function respond(query: Buffer, records: Map<string, string[]>): Buffer | undefined {
  if (query.length < 17) return undefined;
  // The question: length-prefixed labels up to a zero byte, then type and class.
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length && query[offset]! > 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('latin1'));
    offset += 1 + length;
  }
  const questionEnd = offset + 5;
  if (questionEnd > query.length) return undefined;
  const type = query.readUInt16BE(offset + 1);
  const values = type === TXT ? records.get(labels.join('.').toLowerCase()) : undefined;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // A response, recursion desired and available; NXDOMAIN when there is nothing to say.
  header.writeUInt16BE(values ? 0x8180 : 0x8183, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(values?.length ?? 0, 6);
  const answers = (values ?? []).map((value) => {
    const text = Buffer.from(value, 'utf8');
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    fixed.writeUInt16BE(TXT, 2);
    fixed.writeUInt16BE(1, 4);
    fixed.writeUInt32BE(60, 6);
    fixed.writeUInt16BE(text.length + 1, 10);
    return Buffer.concat([fixed, Buffer.from([text.length]), text]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}
