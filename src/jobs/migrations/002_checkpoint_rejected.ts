/**
 * 002: checkpoints count the points each range rejected, beside the rows it wrote.
 *
 * Why: verification expects target = source − rejected. A resumed collection knew how many rows
 * its earlier runs wrote (from the checkpoints) but not how many they rejected, so a job with
 * rejected points that was interrupted could never verify after resuming.
 */
export const sql = `
ALTER TABLE checkpoints ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
`;
