import { startTestS3, S3_TEST_CREDENTIALS } from '@parley/testing';
import { blobBytesSuite } from './blob-bytes.suite.ts';
import { S3BlobBytes } from './s3-blob-bytes.ts';

/** Against an S3-compatible server the test starts (s3rver from npm, with the multipart calls it lacks). */
blobBytesSuite('S3BlobBytes', async () => {
  const s3 = await startTestS3();
  const open = () => new S3BlobBytes({
    kind: 's3', bucket: s3.bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, partBytes: 5 * 1024 * 1024, credentials: S3_TEST_CREDENTIALS,
  });
  const opened = [open()];
  return {
    bytes: opened[0]!,
    reopen: async () => {
      const again = open();
      opened.push(again);
      return again;
    },
    close: async () => {
      for (const b of opened) b.close();
      await s3.close();
    },
  };
});
