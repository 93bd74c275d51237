/** English subject-page texts (i18next resources); every other language must have exactly these keys. */
export const en = {
  common: {
    languageName: 'English',
    languageSwitch: 'Language',
    footer: 'Sent by {{name}}, {{address}}',
    logoAlt: '{{name}} logo',
    unnamedField: 'a detail from your profile',
  },
  channel: { email: 'By email', sms: 'By text message (SMS)' },
  basis: {
    consent: 'your consent',
    soft_opt_in: 'you are our customer and did not object (you can opt out at any time)',
    contract: 'our contract with you',
    legal_obligation: 'a legal obligation',
    legitimate_interest: 'our legitimate interest',
  },
  method: {
    form: 'a sign-up form',
    preference_center: 'the preference centre',
    import: 'a record we imported',
    api: 'one of our services',
    one_click: 'a one-click unsubscribe',
    double_opt_in: 'a confirmation link',
  },
  preferences: {
    title: 'Your marketing preferences – {{brand}}',
    heading: 'Your marketing preferences',
    intro:
      'Choose what {{brand}} may send you. Switching something off takes one click and a save, just like switching it on.',
    saved: 'Your choices are saved. They apply before our next message.',
    notice: 'These choices are made under privacy notice version {{version}} (in force since {{date}}).',
    readNotice: 'Read privacy notice version {{version}}',
    pending: '(waiting for you to confirm by email)',
    separate: 'asked separately',
    sensitive: 'uses sensitive information',
    uses: 'Uses: {{fields}}',
    everything: 'Everything at once',
    unsubscribeAll: 'Unsubscribe from all marketing',
    noPersonalisation: 'No personalised marketing (do not choose offers for me from my purchases or profile)',
    save: 'Save preferences',
  },
  unsubscribe: {
    title: 'Unsubscribe',
    question: 'Stop receiving {{what}}?',
    button: 'Unsubscribe',
    doneTitle: 'Unsubscribed',
    doneHeading: 'You are unsubscribed',
    done: 'You will not receive {{what}} any more.',
    manage: 'Manage all your preferences',
    fallback: 'these messages',
  },
  confirm: {
    title: 'Confirm your subscription',
    question: 'Please confirm that you want to receive {{what}}.',
    button: 'Yes, confirm',
    doneTitle: 'Subscription confirmed',
    doneHeading: 'Thank you',
    done: 'You confirmed that you want to receive {{what}}.',
    already: 'You had already confirmed that you want to receive {{what}}.',
    fallback: 'our messages',
  },
  why: {
    title: 'Why did I get this message?',
    message: 'Message',
    aMessage: 'a message from us',
    purpose: 'What it is for',
    decidedOn: 'Decided on',
    reason: 'Why we may send it',
    given: '{{basis}}, given on {{date}} at “{{point}}” through {{method}}, under privacy notice version {{version}}',
    noRecord: 'We could not find the consent record for this message.',
    fields: 'Your data we used',
    none: 'none',
    change: 'Change what {{brand}} sends you',
    unknownPurpose: 'a purpose we no longer use',
  },
  notice: {
    title: 'Privacy notice, version {{version}}',
    effective: 'In force since {{date}}.',
    otherLanguage: 'This notice in {{language}}',
  },
  error: {
    title: 'Something went wrong',
    back: 'If you need help, write to us at {{address}}.',
    code: 'Error code: ',
    token_expired: {
      heading: 'This link has expired',
      body: 'Links in our messages work for a limited time. Use the link in a newer message from us, or ask us for a new one.',
    },
    token_bad_signature: {
      heading: 'This link is not valid',
      body: 'The link may have been copied incompletely or changed. Use the link exactly as it appears in our message.',
    },
    token_malformed: {
      heading: 'This link is not valid',
      body: 'The link may have been copied incompletely or changed. Use the link exactly as it appears in our message.',
    },
    token_wrong_scope: {
      heading: 'This link is meant for another page',
      body: 'Use the link that belongs to what you want to do, as it appears in our message.',
    },
    token_incomplete: {
      heading: 'This link is incomplete',
      body: 'Use the link in a newer message from us, or manage everything in the preference centre.',
    },
    subject_erased: {
      heading: 'We no longer hold your data',
      body: 'Your data was erased at your request, so there are no preferences left to show or change. You will not hear from us again.',
    },
    nothing_to_confirm: {
      heading: 'Nothing to confirm',
      body: 'There is no pending subscription for this link. It may have been withdrawn in the meantime.',
    },
    decision_not_found: {
      heading: 'We have no record of this message',
      body: 'The record may have been archived. The preference centre shows what you currently receive.',
    },
    notice_not_found: {
      heading: 'This notice is not available',
      body: 'There is no published privacy notice with this version and language.',
    },
    rate_limited: { heading: 'Too many requests', body: 'Please wait a minute and try again.' },
    invalid_request: {
      heading: 'This request could not be understood',
      body: 'Go back and try again, or use the link exactly as it appears in our message.',
    },
    other: {
      heading: 'This page cannot be shown',
      body: 'Please try again later, or use the link in a newer message from us.',
    },
  },
};

/** The shape every language's resources must have: the same keys as English, each a string. */
export type PageMessages = { readonly [K in keyof typeof en]: Messages<(typeof en)[K]> };
type Messages<T> = { readonly [K in keyof T]: T[K] extends string ? string : Messages<T[K]> };
