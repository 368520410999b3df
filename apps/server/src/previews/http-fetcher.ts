import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FetchedResponse, FetchTarget, PageFetcher } from '../domain/link-previews.ts';
import { pinnedLookup } from '../push/web-push-sender.ts';

/**
 * R45's fetches over node:http(s): a connection only to the checked addresses (a lookup that answers
 * those alone), TLS checked against the host name, no cookies, no Referer, no redirect followed here
 * (LinkPreviews checks each hop), and the body read up to `maxBytes`, then the socket dropped.
 */
export class HttpPageFetcher implements PageFetcher {
  async get(target: FetchTarget, opts: { maxBytes: number; accept: string; signal: AbortSignal }): Promise<FetchedResponse> {
    const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<FetchedResponse>((resolve, reject) => {
      const req = request({
        method: 'GET',
        hostname: target.hostname,
        port: target.port,
        path: `${target.url.pathname}${target.url.search}`,
        headers: {
          accept: opts.accept,
          'accept-encoding': 'identity',
          'user-agent': 'Mozilla/5.0 (compatible; ParleyLinkPreview/1.0)',
        },
        lookup: pinnedLookup(target.addresses),
        agent: false,
        signal: opts.signal,
      }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let read = 0;
        let truncated = false;
        const [mediaType = '', ...params] = String(res.headers['content-type'] ?? '').split(';').map((p) => p.trim().toLowerCase());
        const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
        const done = () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, mediaType, charset, body: Buffer.concat(chunks), truncated });
        if ((res.statusCode ?? 0) >= 300) {
          res.destroy();
          done();
          return;
        }
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          const room = opts.maxBytes - read;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            read += room;
            truncated = true;
            res.destroy();
            done();
            return;
          }
          chunks.push(chunk);
          read += chunk.length;
        });
        res.on('end', done);
        res.on('error', (err) => (truncated ? undefined : reject(err)));
      });
      req.on('error', reject);
      req.end();
    });
  }
}
