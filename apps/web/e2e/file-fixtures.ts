import { createServer, connect, type Server, type Socket } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = 8; // bit depth
  b[9] = 2; // truecolour RGB
  return b;
}

/** A real RGB PNG of `width` × `height`: a diagonal gradient with a dark band, so its thumbnail is recognisable. */
export function pngImage(width: number, height: number): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const i = row + 1 + x * 3;
      const band = Math.abs(x - y * (width / height)) < width / 12;
      rows[i] = band ? 30 : Math.round((x / width) * 255);
      rows[i + 1] = band ? 40 : Math.round((y / height) * 200);
      rows[i + 2] = band ? 90 : 180;
    }
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(width, height)), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** A decompression bomb: a valid PNG header claiming 60,000 × 60,000 (10.8 GB of pixels) over a little data. */
export function pngBomb(): Buffer {
  const rows = deflateSync(Buffer.alloc(60_000 * 3 + 1)); // one row; a decoder would allocate for all of them first
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(60_000, 60_000)), chunk('IDAT', rows), chunk('IEND', Buffer.alloc(0))]);
}

/** A PNG signature and header followed by garbage. */
export function pngMalformed(): Buffer {
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(300, 200)), Buffer.from('this is not image data at all'.repeat(20))]);
}

/**
 * A TCP proxy in front of the server that counts the bytes clients send (uploads) and can slow
 * them to `limit` bytes per second, so an upload is still running when the test reloads the page.
 */
export async function countingProxy(targetPort: number, port: number): Promise<{ server: Server; sent(): number; limit(bytesPerSec: number): void; close(): Promise<void> }> {
  let sent = 0;
  let rate = 0;
  const sockets = new Set<Socket>();
  // One bucket for everything (the test has one big upload at a time): each chunk waits its turn.
  let freeAt = 0;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (data) => {
      sent += data.length;
      if (rate === 0) {
        if (!upstream.write(data)) {
          client.pause();
          upstream.once('drain', () => client.resume());
        }
        return;
      }
      client.pause();
      const now = Date.now();
      freeAt = Math.max(freeAt, now) + (data.length / rate) * 1000;
      setTimeout(() => {
        upstream.write(data);
        client.resume();
      }, freeAt - now);
    });
    upstream.pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    server,
    sent: () => sent,
    limit: (bytesPerSec) => { rate = bytesPerSec; },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
