/** What a send step needs to know about a template; the registry adapter provides it. */
export interface TemplateInfo {
  readonly id: string;
  readonly channel: string;
  readonly fields: readonly string[];
  readonly fallback?: string;
  readonly contentHash: string;
}

/** A strict render: the message, or the declared fields the profile has no value for (nothing is sent then). */
export type RenderResult =
  | { readonly ok: true; readonly subject: string; readonly text: string; readonly html?: string }
  | { readonly ok: false; readonly missingFields: readonly string[] };

/** The template port: metadata for the guard, strict rendering of released fields only. */
export interface TemplatePort {
  info(id: string): TemplateInfo | undefined;
  /**
   * Renders in `language` when the template has that variant, else in the template's own language; the footer's
   * postal address is `postalAddresses` of the language that rendered, else the sender's.
   */
  render(
    id: string,
    ctx: {
      fields: Record<string, string>;
      links: Record<string, string>;
      sender: Record<string, string>;
      postalAddresses?: Readonly<Record<string, string>>;
      language?: string;
    },
  ): RenderResult;
}
