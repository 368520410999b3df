import { userTopic, type Bus } from '../bus/bus.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * Login alerts (R27): when a device is added to an account by any path (link approval, recovery
 * code, passkey sign-in), the account's other connected devices get `device_added` at once. Devices
 * that were offline find it in GET /me, whose devices carry `createdAt` (the web client shows the
 * ones added since it last looked).
 */
export async function announceDeviceAdded(deps: { storage: Storage; bus: Bus }, userId: string, deviceId: string): Promise<void> {
  const device = await deps.storage.getDevice(deviceId);
  if (!device || device.userId !== userId) return;
  await deps.bus.publish(userTopic(userId), {
    type: 'device_added',
    device: { deviceId: device.deviceId, name: device.name, createdAt: device.createdAt },
  });
}
