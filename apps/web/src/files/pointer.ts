import type { MouseEvent } from 'react';

/**
 * For buttons inside a message: a mouse click does not move the focus there. Focus inside a message
 * keeps its actions open below it (in the layout), so the next click elsewhere would take the focus,
 * shrink that message and land on whatever moved under the pointer. The keyboard still reaches them.
 */
export const noFocusOnClick = { onMouseDown: (e: MouseEvent) => e.preventDefault() };
