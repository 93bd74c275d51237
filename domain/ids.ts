import { z } from 'zod';

/** A subject id as the customer's systems know it: personal data, never logged or put in Temporal history. */
export const SubjectId = z
  .string()
  .min(1, 'subject id is empty')
  .max(128, 'subject id is longer than 128 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@+-]*$/,
    'subject id may hold letters, digits and . _ : @ + - and must start with a letter or digit',
  );
export type SubjectId = z.infer<typeof SubjectId>;

/** What a subjectRef looks like: `sr_` and 22 base64url characters. */
export const SUBJECT_REF_PATTERN = /^sr_[A-Za-z0-9_-]{22}$/;

/** The pseudonym of a subject (keyed HMAC of the subject id): the only identifier allowed in logs and history. */
export const SubjectRef = z
  .string()
  .regex(SUBJECT_REF_PATTERN, 'subjectRef must look like sr_ followed by 22 base64url characters')
  .brand<'SubjectRef'>();
export type SubjectRef = z.infer<typeof SubjectRef>;
