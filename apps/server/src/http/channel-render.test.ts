import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChannelPostBody } from '@parley/protocol';
import type { ChannelRow } from '../storage/channel-storage.ts';
import { channelFeed, channelPage, escapeText } from './channel-render.ts';

const channel: ChannelRow = {
  channelId: 'chan_0001', handle: 'city_news', title: 'A "title" <i>', description: '', ownerId: 'user_alice', createdAt: 1_700_000_000_000,
  lastSeq: 2, subscriberCount: 1, keyListVersion: 1, keyList: '{}', keyListSig: '',
};
const post = (text: string, postSeq: number, pinned = false): ChannelPostBody => ({
  v: 1, channelId: 'chan_0001', postId: `post_000${postSeq}`, postSeq, seq: postSeq, version: 1, date: 1_700_000_000_000 + postSeq, signer: 'k', text, pinned, deleted: false,
});

describe('public channel rendering (R99)', () => {
  it('R99 escapeText makes every markup character text and drops what XML 1.0 cannot carry', () => {
    assert.equal(escapeText(`<a href="x" onclick='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    assert.equal(escapeText('a\u0000b\u0008c\u001fd\ud800e\uffff\tf\n'), 'abcde\tf\n');
    assert.equal(escapeText('😀 ok'), '😀 ok', 'a surrogate pair stays');
  });

  it('R99 the page puts the pinned post first, describes itself from the first post when it has no description, and has no script', () => {
    const html = channelPage(channel, [post('second </p><script>x</script>', 2), post('first', 1, true)], 'https://parley.example');
    assert.ok(html.indexOf('<p class="text">first') < html.indexOf('<p class="text">second'), 'pinned first');
    assert.ok(html.includes('<meta property="og:description" content="second &lt;/p&gt;&lt;script&gt;x&lt;/script&gt;">'));
    assert.ok(html.includes('<meta property="og:url" content="https://parley.example/c/city_news">'));
    assert.ok(!/<script/i.test(html));
    assert.ok(channelPage(channel, [], 'https://parley.example').includes('No posts yet.'));
  });

  it('R99 the feed names the channel, links each entry to its place on the page, and escapes text', () => {
    const xml = channelFeed(channel, [post('a & b', 1)], 'https://parley.example');
    assert.ok(xml.includes('<title>A &quot;title&quot; &lt;i&gt;</title>'));
    assert.ok(xml.includes('<link rel="alternate" type="text/html" href="https://parley.example/c/city_news#post-1"/>'));
    assert.ok(xml.includes('<content type="text">a &amp; b</content>'));
    assert.ok(xml.includes(`<updated>${new Date(1_700_000_000_001).toISOString()}</updated>`));
  });

  it('R126 the feed lists a post\'s files as enclosures (type, length, absolute link); the page plays audio and video in place', () => {
    const files = [
      { blobId: 'AAAAAAAAAAAAAAAAAAAAAA', sha256: '0'.repeat(64), size: 1234, mime: 'video/mp4', name: 'tour "1".mp4', width: 640, height: 360 },
      { blobId: 'BBBBBBBBBBBBBBBBBBBBBB', sha256: '1'.repeat(64), size: 99, mime: 'application/pdf' },
    ];
    const xml = channelFeed(channel, [{ ...post('with files', 1), attachments: files }], 'https://parley.example');
    assert.ok(xml.includes('<link rel="enclosure" type="video/mp4" length="1234" href="https://parley.example/c/city_news/media/AAAAAAAAAAAAAAAAAAAAAA" title="tour &quot;1&quot;.mp4"/>'), xml);
    assert.ok(xml.includes('<link rel="enclosure" type="application/pdf" length="99" href="https://parley.example/c/city_news/media/BBBBBBBBBBBBBBBBBBBBBB"/>'));
    const html = channelPage(channel, [{ ...post('with files', 1), attachments: files }], 'https://parley.example');
    assert.ok(html.includes('<video controls preload="metadata" src="/c/city_news/media/AAAAAAAAAAAAAAAAAAAAAA" width="640" height="360"></video>'), html);
    assert.ok(!html.includes('<video controls preload="metadata" src="/c/city_news/media/BBBB'), 'a pdf is only a link');
  });
  it('R202 the page previews with the newest post\'s first photo (og:image, absolute, escaped, the large card); none without photos', () => {
    const photo = (blobId: string, name?: string) => ({ blobId, sha256: '0'.repeat(64), size: 10, mime: 'image/jpeg', width: 800, height: 600, ...(name ? { name } : {}) });
    const posts = [
      { ...post('no photo, newest', 4) },
      { ...post('the "river" <b>', 3), attachments: [{ ...photo('CCCCCCCCCCCCCCCCCCCCCC'), mime: 'application/pdf' }, photo('DDDDDDDDDDDDDDDDDDDDDD')] },
      { ...post('pinned, older', 1, true), attachments: [photo('EEEEEEEEEEEEEEEEEEEEEE', 'old.jpg')] },
    ];
    const html = channelPage(channel, posts, 'https://parley.example');
    assert.ok(html.includes(`<meta property="og:image" content="https://parley.example/c/city_news/media/DDDDDDDDDDDDDDDDDDDDDD">
<meta property="og:image:type" content="image/jpeg">
<meta property="og:image:width" content="800">
<meta property="og:image:height" content="600">
<meta property="og:image:alt" content="the &quot;river&quot; &lt;b&gt;">
<meta name="twitter:card" content="summary_large_image">
`), html);
    assert.equal(html.match(/og:image"/g)?.length, 1);
    const plain = channelPage(channel, [post('text only', 1)], 'https://parley.example');
    assert.ok(plain.includes('<meta name="twitter:card" content="summary">') && !plain.includes('og:image'));
  });

  it('R198 R199 the page shows a poll\'s question and options as text with their counts and voters; a voice note is named as one, with its length', () => {
    const poll = { question: 'Tea <b>or</b> "coffee"?', options: ['Tea & milk', '</li><script>x</script>'] };
    const voice = { blobId: 'CCCCCCCCCCCCCCCCCCCCCC', sha256: '2'.repeat(64), size: 500, mime: 'audio/webm', name: 'voice-1.webm', voice: true as const, durationMs: 65_400 };
    const html = channelPage(channel, [{ ...post('', 2), attachments: [voice] }, { ...post('Vote', 1), poll }], 'https://parley.example',
      new Map([[1, { seq: 1, votes: { 1: 3 }, voters: 3 }]]));
    assert.ok(html.includes('<strong>Tea &lt;b&gt;or&lt;/b&gt; &quot;coffee&quot;?</strong><ul><li><span>Tea &amp; milk</span><span class="count">0</span></li>'
      + '<li><span>&lt;/li&gt;&lt;script&gt;x&lt;/script&gt;</span><span class="count">3</span></li></ul>'), html);
    assert.ok(html.includes('3 voters · vote in the Parley app'));
    assert.ok(!/<script/i.test(html));
    assert.ok(html.includes('<audio controls preload="metadata" src="/c/city_news/media/CCCCCCCCCCCCCCCCCCCCCC"></audio><a href="/c/city_news/media/CCCCCCCCCCCCCCCCCCCCCC" download="voice-1.webm">Voice note (1:05)</a>'), html);
    // The feed says the same in text (no counts: a feed is cached), so neither entry is blank.
    const xml = channelFeed(channel, [{ ...post('', 2), attachments: [voice] }, { ...post('Vote', 1), poll }], 'https://parley.example');
    assert.ok(xml.includes('<content type="text">Vote\n\nPoll: Tea &lt;b&gt;or&lt;/b&gt; &quot;coffee&quot;?\n– Tea &amp; milk\n– &lt;/li&gt;&lt;script&gt;x&lt;/script&gt;</content>'), xml);
    assert.ok(xml.includes('<title>Voice note</title>') && xml.includes('<content type="text">Voice note</content>'), xml);
  });
});
