import { createHash } from 'node:crypto';
import { CHANNEL_IMAGE_TYPES, CHANNEL_PLAYABLE_TYPES, type ChannelAttachment, type ChannelPollVotes, type ChannelPostBody } from '@parley/protocol';
import type { ChannelRow } from '../storage/channel-storage.ts';
import type { PublicPost } from '../domain/channels/channels.ts';

/**
 * R99: the public page and Atom feed of a channel, rendered on the server from what its admins
 * signed. Every value from a channel or post goes through `escapeText` (it is text, never markup);
 * characters XML 1.0 can't carry are dropped so a feed always parses.
 */
export function escapeText(value: string): string {
  return value
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;color:#1c1c1e;background:#fff}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}h1{margin:.2rem 0;font-size:1.6rem}.handle{color:#555}
.kind{font-size:.9rem;color:#444;background:#eef3ff;border-radius:.4rem;padding:.4rem .6rem}
article{border:1px solid #ddd;border-radius:.6rem;padding:.8rem;margin:.8rem 0}.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.meta{color:#555;font-size:.85rem;margin-top:.4rem}.media{display:flex;flex-wrap:wrap;gap:.3rem;margin-bottom:.4rem}.media img{max-width:100%;height:auto;border-radius:.4rem}.pin{font-weight:600;color:#444}a{color:#0645ad}
.poll{border-left:3px solid #4a7dff;padding-left:.6rem;margin:.4rem 0}.poll ul{list-style:none;padding:0;margin:.3rem 0}.poll li{display:flex;justify-content:space-between;gap:1rem}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}.handle,.meta,.pin{color:#bbb}.kind{background:#1f2a44;color:#ddd}article{border-color:#333}a{color:#8ab4f8}}`;

/** The page's Content-Security-Policy: its one inline style by hash and (R110, R126) its posts' photos, audio and video from this server; no script at all. */
export const PAGE_CSP = `default-src 'none'; img-src 'self'; media-src 'self'; style-src 'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A one-line summary of a text for titles and descriptions. */
function summary(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * R110: a post's photos, as images from this server (`/c/<handle>/media/<blob>`, where the page's CSP
 * allows them), and its other files as links. The page can't check their hashes; the app does.
 */
function media(handle: string, post: ChannelPostBody): string {
  const files = post.attachments ?? [];
  if (files.length === 0) return '';
  const src = (blobId: string) => `/c/${escapeText(handle)}/media/${escapeText(blobId)}`;
  // R199: a voice note is named as one, with its length, rather than by its recording's file name.
  const length = (ms: number) => `${Math.floor(Math.round(ms / 1000) / 60)}:${String(Math.round(ms / 1000) % 60).padStart(2, '0')}`;
  const label = (f: ChannelAttachment) => (f.voice ? `Voice note${f.durationMs ? ` (${length(f.durationMs)})` : ''}`
    : `${escapeText(f.name ?? 'File')} (${f.size} bytes)`);
  const link = (f: ChannelAttachment) => `<a href="${src(f.blobId)}" download="${escapeText(f.name ?? 'file')}">${label(f)}</a>`;
  const items = files.map((f) => {
    if (CHANNEL_IMAGE_TYPES.includes(f.mime)) {
      return `<img src="${src(f.blobId)}" alt="${escapeText(f.name ?? 'Photo')}"${f.width && f.height ? ` width="${f.width}" height="${f.height}"` : ''} loading="lazy">`;
    }
    // R126: audio and video play in place (the media route serves byte ranges, so they seek); the link stays for saving.
    if (CHANNEL_PLAYABLE_TYPES.includes(f.mime)) {
      const tag = f.mime.startsWith('video/') ? 'video' : 'audio';
      return `<${tag} controls preload="metadata" src="${src(f.blobId)}"${tag === 'video' && f.width && f.height ? ` width="${f.width}" height="${f.height}"` : ''}></${tag}>${link(f)}`;
    }
    return link(f);
  });
  return `<div class="media">${items.join('')}</div>\n`;
}

/**
 * R202: the link preview's picture: the first photo of the newest post that has one (its public URL,
 * R110), with its size when signed; undefined when no shown post has a photo.
 */
export function previewImage(url: string, posts: readonly ChannelPostBody[]): { href: string; mime: string; width?: number; height?: number; alt: string } | undefined {
  for (const p of [...posts].sort((a, b) => b.postSeq - a.postSeq)) {
    const photo = (p.attachments ?? []).find((f) => CHANNEL_IMAGE_TYPES.includes(f.mime));
    if (photo) {
      return { href: `${url}/media/${photo.blobId}`, mime: photo.mime, ...(photo.width && photo.height ? { width: photo.width, height: photo.height } : {}), alt: photo.name ?? summary(p.text, 120) };
    }
  }
  return undefined;
}

function imageTags(image: ReturnType<typeof previewImage>): string {
  if (!image) return '<meta name="twitter:card" content="summary">\n';
  return `<meta property="og:image" content="${escapeText(image.href)}">
<meta property="og:image:type" content="${escapeText(image.mime)}">
${image.width && image.height ? `<meta property="og:image:width" content="${image.width}">\n<meta property="og:image:height" content="${image.height}">\n` : ''}${image.alt ? `<meta property="og:image:alt" content="${escapeText(image.alt)}">\n` : ''}<meta name="twitter:card" content="summary_large_image">
`;
}

/** R198: a post's poll, its question and options (escaped) with their counts; no names (the server serves none). */
function poll(post: ChannelPostBody, votes: ChannelPollVotes | undefined): string {
  if (!post.poll) return '';
  const options = post.poll.options.map((text, i) => `<li><span>${escapeText(text)}</span><span class="count">${votes?.votes[String(i)] ?? 0}</span></li>`).join('');
  const voters = votes?.voters ?? 0;
  return `<div class="poll"><strong>${escapeText(post.poll.question)}</strong>${post.poll.multiple ? ' (several answers)' : ''}<ul>${options}</ul>`
    + `<div class="meta">${voters} voter${voters === 1 ? '' : 's'} · vote in the Parley app</div></div>\n`;
}

/** `votes`: R198's counts of the posts' polls, by postSeq. */
export function channelPage(channel: ChannelRow, posts: readonly PublicPost[], origin: string, votes: ReadonlyMap<number, ChannelPollVotes> = new Map()): string {
  const url = `${origin}/c/${channel.handle}`;
  const description = channel.description || (posts[0] ? summary(posts[0].text, 200) : `@${channel.handle} on Parley`);
  const ordered = [...posts.filter((p) => p.pinned), ...posts.filter((p) => !p.pinned)];
  const articles = ordered.map((p) => `<article id="post-${p.postSeq}">
${p.pinned ? '<div class="pin">Pinned</div>\n' : ''}${media(channel.handle, p)}<p class="text">${escapeText(p.text)}</p>
${poll(p, votes.get(p.postSeq))}<div class="meta">${p.author !== undefined ? `<span class="author">— ${escapeText(p.author)}</span> · ` : ''}<time datetime="${new Date(p.date).toISOString()}">${when(p.date)}</time>${p.edited ? ' · edited' : ''}</div>
</article>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeText(channel.title)} (@${escapeText(channel.handle)})</title>
<meta name="description" content="${escapeText(description)}">
<meta property="og:type" content="website">
<meta property="og:site_name" content="Parley">
<meta property="og:title" content="${escapeText(channel.title)}">
<meta property="og:description" content="${escapeText(description)}">
<meta property="og:url" content="${escapeText(url)}">
${imageTags(previewImage(url, posts))}<link rel="canonical" href="${escapeText(url)}">
<link rel="alternate" type="application/atom+xml" title="${escapeText(channel.title)}" href="${escapeText(url)}/feed.atom">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeText(channel.title)}</h1>
<div class="handle">@${escapeText(channel.handle)} · ${channel.subscriberCount} subscriber${channel.subscriberCount === 1 ? '' : 's'}</div>
${channel.description ? `<p>${escapeText(channel.description)}</p>\n` : ''}<p class="kind">Public channel: anyone can read it. Each post is signed by the channel's admins; the Parley app checks every signature. This page is made by the server, which can't prove them to you here.</p>
<p><a href="${escapeText(url)}/feed.atom">Atom feed</a> · <a href="/#/c/${escapeText(channel.handle)}">Open in the Parley app</a> (signed in: subscribe, react, and every post checked)</p>
</header>
<main>
${articles || '<p>No posts yet.</p>'}
</main>
</body>
</html>
`;
}

/** R126: a post's photos and files as Atom enclosures (RFC 4287 §4.2.7.2): where, what type, how many bytes. */
function enclosures(url: string, post: ChannelPostBody): string {
  return (post.attachments ?? []).map((f) => `    <link rel="enclosure" type="${escapeText(f.mime)}" length="${f.size}" href="${escapeText(`${url}/media/${f.blobId}`)}"${f.name ? ` title="${escapeText(f.name)}"` : ''}/>\n`).join('');
}

/**
 * R198/R199: what a feed entry says: the post's text, then its poll's question and options (no counts: a
 * feed is cached and read later), and "Voice note" for a recorded one, so a post without text is not blank.
 */
function feedText(p: ChannelPostBody): string {
  const poll = p.poll ? `Poll: ${p.poll.question}${p.poll.multiple ? ' (several answers)' : ''}\n${p.poll.options.map((o) => `– ${o}`).join('\n')}` : '';
  const voice = (p.attachments ?? []).some((f) => f.voice) ? 'Voice note' : '';
  return [p.text, poll, voice].filter((part) => part !== '').join('\n\n');
}

export function channelFeed(channel: ChannelRow, posts: readonly PublicPost[], origin: string): string {
  const url = `${origin}/c/${channel.handle}`;
  const updated = new Date(Math.max(channel.createdAt, ...posts.map((p) => p.date))).toISOString();
  const entries = posts.map((p) => `  <entry>
    <id>${escapeText(`${url}#${p.postId}`)}</id>
    <title>${escapeText(summary(feedText(p), 80))}</title>
    <link rel="alternate" type="text/html" href="${escapeText(`${url}#post-${p.postSeq}`)}"/>
    <updated>${new Date(p.date).toISOString()}</updated>
    <content type="text">${escapeText(feedText(p))}</content>
${p.author !== undefined ? `    <author><name>${escapeText(p.author)}</name></author>\n` : ''}${enclosures(url, p)}  </entry>`).join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${escapeText(url)}</id>
  <title>${escapeText(channel.title)}</title>
${channel.description ? `  <subtitle>${escapeText(channel.description)}</subtitle>\n` : ''}  <link rel="alternate" type="text/html" href="${escapeText(url)}"/>
  <link rel="self" type="application/atom+xml" href="${escapeText(url)}/feed.atom"/>
  <updated>${updated}</updated>
  <author><name>${escapeText(channel.title)}</name></author>
${entries}
</feed>
`;
}
