import type { GenerationMetadata } from './generation-metadata';

const NS = 'https://github.com/ldm-platform/ns/generation/1.0/';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\n/g, '&#10;');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * An XMP packet (UTF-8, the metadata standard JPEG and WebP carry) with the parameters as
 * dc:description (A1111 text, shown by photo tools) and as JSON in our own property.
 */
export function generationXmp(metadata: GenerationMetadata, text: string): string {
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:ldm="${NS}" ` +
    `ldm:generation="${escapeXml(JSON.stringify(metadata))}">` +
    `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(text)}</rdf:li></rdf:Alt></dc:description>` +
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  );
}

export function readGenerationXmp(xmp: string): GenerationMetadata | undefined {
  const match = /ldm:generation="([^"]*)"/.exec(xmp);
  return match ? (JSON.parse(unescapeXml(match[1])) as GenerationMetadata) : undefined;
}
