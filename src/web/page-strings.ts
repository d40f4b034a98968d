import type { EmailLocale } from '../delivery/email-templates.ts';

/**
 * What the invitee pages say about an invitation, per locale (the invitation's, else the
 * organization's, as for emails). Values are plain text: the page template escapes them.
 */
export interface PageStrings {
  invitedTitle: string;
  invitedToJoin(inviter: string): string;
  invitedToResource(inviter: string, type: string): string;
  inOrganization: string;
  permissions: string;
  role: string;
  expires: string;
  wrote(inviter: string): string;
  yourAnswer: string;
  signedInAs(email: string): string;
  accept: string;
  decline: string;
  otherAddressTitle: string;
  otherAddress(signedIn: string, invited: string): string;
  switchAccount: string;
  signInTitle: string;
  signInHint(masked: string): string;
  email: string;
  password: string;
  signIn: string;
  signUpTitle: string;
  signUpHint(masked: string): string;
  yourName: string;
  choosePassword: string;
  createAccount: string;
  expiredTitle: string;
  expired(org: string, date: string, inviter: string): string;
  withdrawnTitle: string;
  withdrawn(org: string): string;
  usedTitle: string;
  used(org: string): string;
  declinedTitle: string;
  declined(inviter: string): string;
}

export const PAGE_STRINGS: Record<EmailLocale, PageStrings> = {
  en: {
    invitedTitle: 'You are invited',
    invitedToJoin: (inviter) => `${inviter} invited you to join`,
    invitedToResource: (inviter, type) => `${inviter} invited you to the ${type}`,
    inOrganization: 'in',
    permissions: 'Permissions',
    role: 'Role',
    expires: 'Expires',
    wrote: (inviter) => `${inviter} wrote:`,
    yourAnswer: 'Your answer',
    signedInAs: (email) => `Signed in as ${email}.`,
    accept: 'Accept invitation',
    decline: 'Decline',
    otherAddressTitle: 'This invitation is for another address',
    otherAddress: (signedIn, invited) =>
      `You are signed in as ${signedIn}, but the invitation was sent to ${invited}. Sign out, then sign in or create an account with that address. The invitation stays open.`,
    switchAccount: 'Sign out and switch account',
    signInTitle: 'Sign in to answer',
    signInHint: (masked) => `The invitation was sent to ${masked}; sign in with that address.`,
    email: 'Email',
    password: 'Password',
    signIn: 'Sign in',
    signUpTitle: 'New here? Create your account',
    signUpHint: (masked) => `Your account will use the invited address, ${masked}.`,
    yourName: 'Your name',
    choosePassword: 'Choose a password (8 characters or more)',
    createAccount: 'Create account',
    expiredTitle: 'This invitation has expired',
    expired: (org, date, inviter) =>
      `The invitation to ${org} expired on ${date}. Ask ${inviter} to send it again.`,
    withdrawnTitle: 'This invitation was withdrawn',
    withdrawn: (org) => `${org} withdrew this invitation.`,
    usedTitle: 'This invitation was already accepted',
    used: (org) => `It has been used; you can sign in to ${org} directly.`,
    declinedTitle: 'This invitation was declined',
    declined: (inviter) => `It can no longer be accepted. Ask ${inviter} for a new one.`,
  },
  fr: {
    invitedTitle: 'Vous êtes invité',
    invitedToJoin: (inviter) => `${inviter} vous invite à rejoindre`,
    invitedToResource: (inviter, type) => `${inviter} vous invite sur la ressource ${type}`,
    inOrganization: 'dans',
    permissions: 'Droits',
    role: 'Rôle',
    expires: 'Expire le',
    wrote: (inviter) => `${inviter} a écrit :`,
    yourAnswer: 'Votre réponse',
    signedInAs: (email) => `Connecté en tant que ${email}.`,
    accept: "Accepter l'invitation",
    decline: 'Refuser',
    otherAddressTitle: 'Cette invitation est destinée à une autre adresse',
    otherAddress: (signedIn, invited) =>
      `Vous êtes connecté en tant que ${signedIn}, mais l'invitation a été envoyée à ${invited}. Déconnectez-vous, puis connectez-vous ou créez un compte avec cette adresse. L'invitation reste ouverte.`,
    switchAccount: 'Se déconnecter et changer de compte',
    signInTitle: 'Connectez-vous pour répondre',
    signInHint: (masked) => `L'invitation a été envoyée à ${masked} ; connectez-vous avec cette adresse.`,
    email: 'Adresse e-mail',
    password: 'Mot de passe',
    signIn: 'Se connecter',
    signUpTitle: 'Nouveau ? Créez votre compte',
    signUpHint: (masked) => `Votre compte utilisera l'adresse invitée, ${masked}.`,
    yourName: 'Votre nom',
    choosePassword: 'Choisissez un mot de passe (8 caractères ou plus)',
    createAccount: 'Créer le compte',
    expiredTitle: 'Cette invitation a expiré',
    expired: (org, date, inviter) =>
      `L'invitation à ${org} a expiré le ${date}. Demandez à ${inviter} de la renvoyer.`,
    withdrawnTitle: 'Cette invitation a été retirée',
    withdrawn: (org) => `${org} a retiré cette invitation.`,
    usedTitle: 'Cette invitation a déjà été acceptée',
    used: (org) => `Elle a été utilisée ; vous pouvez vous connecter à ${org} directement.`,
    declinedTitle: 'Cette invitation a été refusée',
    declined: (inviter) => `Elle ne peut plus être acceptée. Demandez-en une nouvelle à ${inviter}.`,
  },
};
