import type { enScreen } from './en-screen.ts';

/** Russian texts of a screen shared in a group call (see en-screen.ts). */
export const ruScreen: Record<keyof typeof enScreen, string> = {
  gcallPresenting: '{name} показывает экран',
  gcallYouPresenting: 'Вы показываете экран',
  gcallScreenOf: 'Экран: {name}',
};
