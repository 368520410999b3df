import { extensionOf } from './format.ts';

/** A page with the file's extension on it (PDF, ZIP…); decorative: the name next to it says what it is. */
export function FileIcon({ name, size = 40 }: { name: string; size?: number }) {
  const ext = extensionOf(name);
  return (
    <span className="file-icon" style={{ width: size, height: size }} aria-hidden="true">
      <svg viewBox="0 0 40 40" width={size} height={size} fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" focusable="false">
        <path d="M10 4h14l8 8v24H10z" />
        <path d="M24 4v8h8" />
      </svg>
      {ext && <span className="file-ext">{ext}</span>}
    </span>
  );
}
