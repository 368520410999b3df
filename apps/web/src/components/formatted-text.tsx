import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { formattedTree, MENTION_ALL, type FormattedNode } from '@parley/client';
import { mentionHandle, safeLinkTarget, urlEntityTarget, type MessageEntity } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import './formatted-text.css';

/**
 * A message's text with its formatting (R47), built as React elements from the entity tree: never
 * an HTML string, so every character of the text is shown as text. Links are made only from targets
 * that pass `safeLinkTarget` again here (http, https, mailto), whatever the entities say.
 */
export function FormattedText({ text, entities }: { text: string; entities?: readonly MessageEntity[] | undefined }) {
  // Checked and built once per text: a long chat re-renders often.
  const tree = useMemo(() => formattedTree(text, entities), [text, entities]);
  return <>{renderNodes(tree, 'n')}</>;
}

const BLOCKS: ReadonlySet<string> = new Set(['blockquote', 'pre']);
const isBlock = (n: FormattedNode | undefined) => n?.kind === 'entity' && BLOCKS.has(n.entity.type);

function renderNodes(nodes: readonly FormattedNode[], key: string): ReactNode[] {
  return nodes.map((node, k) => {
    if (node.kind === 'text') {
      // A block starts and ends its own line: the line breaks around it are the block's edges.
      let t = node.text;
      if (isBlock(nodes[k - 1]) && t.startsWith('\n')) t = t.slice(1);
      if (isBlock(nodes[k + 1]) && t.endsWith('\n')) t = t.slice(0, -1);
      return t;
    }
    return <Entity key={`${key}.${k}`} node={node} path={`${key}.${k}`} />;
  });
}

function Entity({ node, path }: { node: Extract<FormattedNode, { kind: 'entity' }>; path: string }) {
  const inner = () => renderNodes(node.children, path);
  const e = node.entity;
  switch (e.type) {
    case 'bold': return <strong>{inner()}</strong>;
    case 'italic': return <em>{inner()}</em>;
    case 'underline': return <u>{inner()}</u>;
    case 'strikethrough': return <s>{inner()}</s>;
    case 'code': return <code className="fmt-code">{node.text}</code>;
    case 'pre': return (
      // Focusable: a code block scrolls sideways, and a keyboard must reach that too.
      <pre className="fmt-pre" tabIndex={0} data-language={e.language}><code>{node.text}</code></pre>
    );
    case 'blockquote': return <blockquote className="fmt-quote">{inner()}</blockquote>;
    case 'spoiler': return <Spoiler text={node.text}>{inner()}</Spoiler>;
    case 'text_link': return <Link href={safeLinkTarget(e.url)} visible={node.text}>{inner()}</Link>;
    case 'url': return <Link href={urlEntityTarget(node.text)} visible={node.text}>{inner()}</Link>;
    case 'mention': {
      const handle = mentionHandle(node.text);
      if (handle && MENTION_ALL.has(handle)) return <strong className="fmt-mention-all">{inner()}</strong>; // R88: the whole chat, not a person
      return handle ? <a className="fmt-link" href={`#/u/${handle}`}>{inner()}</a> : <>{inner()}</>;
    }
  }
}

/** Hidden until clicked, or Enter/Space on it; while hidden it shows none of its text, links or formatting. */
function Spoiler({ text, children }: { text: string; children: ReactNode }) {
  const { t } = useI18n();
  const [shown, setShown] = useState(false);
  if (shown) return <span className="fmt-spoiler shown">{children}</span>;
  const reveal = () => setShown(true);
  return (
    <span className="fmt-spoiler" role="button" tabIndex={0} data-testid="spoiler"
      onClick={(ev) => { ev.stopPropagation(); reveal(); }}
      onKeyDown={(ev: KeyboardEvent) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); ev.stopPropagation(); reveal(); } }}>
      {/* Its name is said, not its hidden text (the text keeps the message's layout, unseen). */}
      <span className="sr-only">{t('spoilerReveal')}</span>
      <span aria-hidden="true">{text}</span>
    </span>
  );
}

/** Whether a link's visible text says where it goes (then it opens without asking). */
function saysTarget(visible: string, href: string): boolean {
  return safeLinkTarget(visible.trim()) === href || urlEntityTarget(visible.trim()) === href;
}

/**
 * A link to somewhere else: a new tab, no opener, no referrer. When its text is not its target it
 * asks first, showing the real target. No safe target: just the text.
 */
function Link({ href, visible, children }: { href: string | undefined; visible: string; children: ReactNode }) {
  const [asking, setAsking] = useState(false);
  if (href === undefined) return <>{children}</>;
  const honest = saysTarget(visible, href);
  return (
    <>
      <a className="fmt-link" href={href} target="_blank" rel="noopener noreferrer" title={honest ? undefined : href}
        onClick={(ev) => {
          ev.stopPropagation();
          if (honest) return;
          ev.preventDefault();
          setAsking(true);
        }}>{children}</a>
      {asking && <ConfirmLink href={href} onClose={() => setAsking(false)} />}
    </>
  );
}

/** Asks before opening a link whose target the reader did not see (also a bot's url button, R93). */
export function ConfirmLink({ href, onClose }: { href: string; onClose: () => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} className="fmt-confirm" aria-labelledby="fmt-confirm-title" onClose={onClose} data-testid="link-confirm">
      <h2 id="fmt-confirm-title">{t('linkConfirmTitle')}</h2>
      <p>{t('linkConfirmBody')}</p>
      <p className="fmt-confirm-url" data-testid="link-confirm-url">{href}</p>
      <div className="fmt-confirm-actions">
        <button type="button" className="secondary" onClick={() => ref.current?.close()}>{t('cancel')}</button>
        <button type="button" onClick={() => { window.open(href, '_blank', 'noopener,noreferrer'); ref.current?.close(); }}>{t('linkOpen')}</button>
      </div>
    </dialog>
  );
}
