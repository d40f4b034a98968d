import { z } from 'zod';

export const OrgParams = z.object({ org_id: z.string() });
export const TAGS = ['Invitations'];
