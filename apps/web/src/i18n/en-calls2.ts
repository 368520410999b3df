/** English texts of calls that reconnect (R102) and screen sharing (R103). Part of `en`. */
export const enCalls2 = {
  callReconnecting: 'Reconnecting…',
  callConnectionLost: 'Call ended: the connection was lost',
  callShareScreen: 'Share screen',
  callStopSharing: 'Stop sharing',
  callSharingScreen: 'You are sharing your screen',
  callScreenError: 'Your screen could not be shared.',
  callOwnScreen: 'Your shared screen',
  callAcceptLeavingGroup: 'Leave the group call and answer', // R124: one call at a time
  // R118
  ringWhenClosed: 'Ring me when the app is closed',
  ringWhenClosedHelp: 'Incoming calls ring on this device through your browser’s push service even when no Parley tab is open. The push names no one: your browser’s push service learns only that something arrived, and when.',
} as const;
