/** A user as the code sees it; every principal is one. */
export interface UserRecord {
  id: string;
  /** The integer number, when read from the database. */
  seq?: number;
  uuid: string;
  email: string;
  emailCanonical: string;
  username: string | null;
  displayName: string | null;
  passwordHash: string | null;
  status: 'active' | 'placeholder' | 'deactivated';
  isInstanceAdmin: boolean;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}
