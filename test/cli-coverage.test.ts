import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/commands.ts';

/**
 * Every operation of the native API and the CLI command that performs it. A new operation in
 * openapi.json fails this test until it gets a command here (or a reason in NOT_IN_CLI).
 */
const COMMANDS: Record<string, string> = {
  createOrganization: 'orgs create',
  listOrganizations: 'orgs list',
  getOrganization: 'orgs get',
  updateOrganization: 'orgs update',
  listMembers: 'members list',
  updateMember: 'members set-role',
  removeMember: 'members remove',
  createUser: 'users create',
  listUsers: 'users list',
  getUser: 'users get',
  getMe: 'me',
  createResource: 'resources create',
  listResources: 'resources list',
  getResource: 'resources get',
  deleteResource: 'resources delete',
  listGrants: 'grants list',
  putGrant: 'grants set',
  deleteGrant: 'grants remove',
  createInvitation: 'invitations create',
  listInvitations: 'invitations list',
  createInvitations: 'invite',
  getInvitation: 'invitations get',
  updateInvitation: 'invitations update',
  resendInvitation: 'invitations resend',
  revokeInvitation: 'invitations revoke',
  revokeInvitations: 'invitations bulk-revoke',
  resendInvitations: 'invitations bulk-resend',
  listMyInvitations: 'invitations mine',
  acceptInvitation: 'invitations accept',
  acceptInvitationByToken: 'invitations accept',
  declineInvitation: 'invitations decline',
  declineInvitationByToken: 'invitations decline',
  previewInvitation: 'invitations preview',
  createApiKey: 'keys create',
  listApiKeys: 'keys list',
  revokeApiKey: 'keys revoke',
  listEvents: 'events list',
  createAccessToken: 'token',
  createWebhookEndpoint: 'webhooks create',
  listWebhookEndpoints: 'webhooks list',
  getWebhookEndpoint: 'webhooks get',
  updateWebhookEndpoint: 'webhooks update',
  deleteWebhookEndpoint: 'webhooks delete',
  listWebhookDeliveries: 'webhooks deliveries',
  retryWebhookDelivery: 'webhooks retry',
  sendWebhookTest: 'webhooks test',
  createJoinLink: 'join-links create',
  listJoinLinks: 'join-links list',
  getJoinLink: 'join-links get',
  listJoinLinkUses: 'join-links uses',
  revokeJoinLink: 'join-links revoke',
  rotateJoinLink: 'join-links rotate',
  previewJoinLink: 'join-links preview',
  joinByLink: 'join',
  listJoinRequests: 'join-requests list',
  approveJoinRequests: 'join-requests approve',
  rejectJoinRequests: 'join-requests reject',
  listMyJoinRequests: 'join-requests mine',
  addDomain: 'domains add',
  listDomains: 'domains list',
  getDomain: 'domains get',
  updateDomain: 'domains update',
  removeDomain: 'domains remove',
  verifyDomain: 'domains verify',
  listSuggestedOrganizations: 'orgs suggested',
  joinSuggestedOrganization: 'orgs join',
  listEmailTemplates: 'templates list',
  getEmailTemplate: 'templates get',
  putEmailTemplate: 'templates set',
  deleteEmailTemplate: 'templates delete',
  previewEmailTemplate: 'templates preview',
  sendTestEmail: 'templates test',
  getEmailBranding: 'branding get',
  putEmailBranding: 'branding set',
  deleteEmailBranding: 'branding delete',
};

/** Operations that are not for a command line, and why. */
const NOT_IN_CLI: Record<string, string> = {
  getHealth: 'a liveness probe for load balancers',
  getReadiness: 'a readiness probe for load balancers',
  getMetrics: 'Prometheus scrapes it',
  getSession: "a browser's cookie session (the console)",
  createSession: "a browser's cookie session (the console)",
  deleteSession: "a browser's cookie session (the console)",
};

function operationIds(): string[] {
  const spec = JSON.parse(readFileSync('openapi.json', 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string }>>;
  };
  return Object.values(spec.paths).flatMap((methods) =>
    Object.values(methods).flatMap((op) =>
      op && typeof op === 'object' && op.operationId ? [op.operationId] : [],
    ),
  );
}

function findCommand(program: Command, path: string): Command | undefined {
  let command: Command | undefined = program;
  for (const word of path.split(' ')) command = command?.commands.find((c) => c.name() === word);
  return command;
}

describe('the CLI covers the native API', () => {
  it('has a command for every operation in openapi.json', () => {
    const program = buildProgram();
    const ids = operationIds();
    const uncovered = ids.filter((id) => !(id in COMMANDS) && !(id in NOT_IN_CLI));
    expect(uncovered, 'operations with no CLI command: add one and list it in COMMANDS').toEqual([]);
    const stale = Object.keys({ ...COMMANDS, ...NOT_IN_CLI }).filter((id) => !ids.includes(id));
    expect(stale, 'listed operations that openapi.json no longer has').toEqual([]);
    const missing = Object.entries(COMMANDS).filter(([, path]) => {
      const command = findCommand(program, path);
      return !command || command.commands.length > 0;
    });
    expect(missing, 'commands in COMMANDS that the CLI does not have').toEqual([]);
  });
});
