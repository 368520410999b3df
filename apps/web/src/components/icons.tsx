/** Inline SVG icons (symbol fonts differ between systems; these look the same everywhere). */
const PATHS = {
  back: 'M15 5l-7 7 7 7',
  compose: 'M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4',
  settings: 'M12 15.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z',
  info: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 16v-5M12 8h.01',
  send: 'M4 12l16-8-6 16-2.5-6.5L4 12z',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  close: 'M6 6l12 12M18 6L6 18',
  reply: 'M9 7L4 12l5 5M4 12h10a6 6 0 0 1 6 6',
  forward: 'M15 7l5 5-5 5M20 12H10a6 6 0 0 0-6 6',
  pin: 'M9 3h6l-1 7 4 4H6l4-4-1-7zM12 14v7',
  edit: 'M4 20h4L19 9l-4-4L4 16v4z',
  bookmark: 'M7 4h10v16l-5-4-5 4z',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  more: 'M12 6h.01M12 12h.01M12 18h.01',
  muted: 'M11 5L6 9H3v6h3l5 4V5zM16 9l5 6M21 9l-5 6',
  archive: 'M3 5h18v4H3zM5 9v10h14V9M10 13h4',
  link: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
  quote: 'M5 6v12M9 8h10M9 12h10M9 16h6',
  spoiler: 'M3 3l18 18M10.6 10.6a2 2 0 0 0 2.8 2.8M9.9 5.1A9.8 9.8 0 0 1 12 5c5 0 9 4.5 10 7-.4 1-1.2 2.3-2.4 3.5M6.1 6.1C4 7.6 2.6 9.7 2 12c1 2.5 5 7 10 7 1.8 0 3.4-.5 4.8-1.3',
  attach: 'M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9',
  mic: 'M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3',
  play: 'M7 4.5v15l12.5-7.5z',
  pause: 'M7 4.5v15M17 4.5v15',
  stop: 'M6 6h12v12H6z',
  download: 'M12 4v11M7 10.5l5 5 5-5M5 20h14',
  media: 'M4 5h16v14H4zM4 15l4.5-4.5 4 4 2.5-2.5L20 17M15.5 9.5h.01',
  place: 'M12 21s-7-6.2-7-11a7 7 0 0 1 14 0c0 4.8-7 11-7 11zM12 12.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5',
  poll: 'M5 20V10M12 20V4M19 20v-7',
  flag: 'M5 21V4M5 4h11l-2 4 2 4H5',
  thread: 'M4 5h16v10H9l-5 4V5zM8 9h8M8 12h5',
  zoomIn: 'M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM20 20l-4.8-4.8M10.5 8v5M8 10.5h5',
  zoomOut: 'M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM20 20l-4.8-4.8M8 10.5h5',
  prev: 'M15 5l-7 7 7 7',
  next: 'M9 5l7 7-7 7',
  phone: 'M5 4h3.5l2 5-2.5 1.5a11 11 0 0 0 5.5 5.5l1.5-2.5 5 2V19a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2z',
  micOff: 'M3 3l18 18M9 9v3a3 3 0 0 0 5.1 2.1M15 9.3V6a3 3 0 0 0-5.7-1.3M17 16.9A7 7 0 0 1 5 11M19 11a7 7 0 0 1-.5 2.6M12 18v3',
  video: 'M3 7h12v10H3zM15 10.5l6-3.5v10l-6-3.5',
  videoOff: 'M3 3l18 18M15 11.5V7H9.5M3 7v10h12M15 10.5l6-3.5v10l-6-3.5',
  speakerView: 'M3 4h18v11H3zM3 18h5v3H3zM9.5 18h5v3h-5zM16 18h5v3h-5z',
  retry: 'M4 12a8 8 0 1 0 2.3-5.7M4 4v4h4',
  community: 'M4 21V9l8-5 8 5v12M4 21h16M9 21v-5h6v5M9 11h.01M15 11h.01',
  megaphone: 'M3 10v4h3l7 4V6L6 10H3zM17 9a4 4 0 0 1 0 6',
  screenShare: 'M3 4h18v12H3zM8 20h8M12 16v4M12 13V7.5M9 10.5l3-3 3 3',
  lock: 'M6 11h12v10H6zM8.5 11V8a3.5 3.5 0 0 1 7 0v3',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 20 }: { name: IconName; size?: number }) {
  return (
    <svg className="svg-icon" viewBox="0 0 24 24" width={size} height={size} fill="none" stroke="currentColor" strokeWidth="2"
      strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} />
    </svg>
  );
}
