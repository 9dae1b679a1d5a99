import { createS3Client, openSource, readRecords } from "@fanout/source";

const s3 = createS3Client();
const { body, etag } = await openSource(s3, { bucket: "fanout-input", key: "big.jsonl" });
for await (const record of readRecords(body, "lines", { maxRecordBytes: 2_097_152 })) {
  console.log(record.at, record.text, etag);
}
