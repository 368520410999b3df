import { useState, type ReactNode } from 'react';

/**
 * A list that renders only the rows in view (plus `overscan` each side) inside its own scroll box,
 * so 5,000 members cost as much to draw as 20 (issue 12). Rows have one fixed height (`rowPx`, which
 * the row's CSS must keep); the box is as tall as the rows up to `maxPx`. Screen readers get each
 * row's place in the whole list (aria-setsize/aria-posinset). Small enough not to need a dependency.
 */
export function VirtualList<T>({ items, rowPx, maxPx, overscan = 8, className, label, testId, render, itemKey }: {
  items: readonly T[]; rowPx: number; maxPx: number; overscan?: number; className?: string; label?: string; testId?: string;
  render: (item: T, index: number) => ReactNode; itemKey: (item: T) => string;
}) {
  const [top, setTop] = useState(0);
  const height = Math.min(items.length * rowPx, maxPx);
  const first = Math.max(0, Math.floor(top / rowPx) - overscan);
  const last = Math.min(items.length, Math.ceil((top + maxPx) / rowPx) + overscan);
  return (
    <div className="virtual-list" style={{ height, overflowY: 'auto' }} onScroll={(e) => setTop(e.currentTarget.scrollTop)} data-testid={testId} tabIndex={items.length * rowPx > maxPx ? 0 : undefined} aria-label={label}>
      <ul className={className} style={{ height: items.length * rowPx, position: 'relative', display: 'block' }}>
        {items.slice(first, last).map((item, i) => (
          <li key={itemKey(item)} style={{ position: 'absolute', top: (first + i) * rowPx, left: 0, right: 0, height: rowPx }} aria-setsize={items.length} aria-posinset={first + i + 1}>
            {render(item, first + i)}
          </li>
        ))}
      </ul>
    </div>
  );
}
