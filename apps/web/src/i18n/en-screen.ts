/** English texts of a screen shared in a group call (R133), loaded with the group call's chunk (calls/group-call-layer.tsx). */
export const enScreen = {
  gcallPresenting: '{name} is presenting',
  gcallYouPresenting: 'You are presenting',
  gcallScreenOf: '{name}’s screen',
} as const;
