/** English texts of calls that reconnect (R102) and screen sharing (R103). Part of `en`. */
export const enCalls2 = {
  callReconnecting: 'Reconnecting…',
  callConnectionLost: 'Call ended: the connection was lost',
  callShareScreen: 'Share screen',
  callStopSharing: 'Stop sharing',
  callSharingScreen: 'You are sharing your screen',
  callScreenError: 'Your screen could not be shared.',
  callOwnScreen: 'Your shared screen',
} as const;
