import type { EnvelopeFields, MessageSummary, MimePart } from '../mailbox.ts';
import {
  boundaryOf,
  parseContentType,
  parseDisposition,
  parseLanguage,
  parseTransferEncoding,
} from './content-fields.ts';
import { HeaderBlock, type HeaderBudget, headerText } from './header-block.ts';
import type { LineSink, LineWant } from './wire-lines.ts';

export interface SummarizeLimits {
  /** Nesting levels of multipart/message parts (Dovecot's max_nested_mime_parts). */
  maxDepth: number;
  /** Parts in the whole message, the top level included (Dovecot's max_total_mime_parts). */
  maxParts: number;
  /** Bytes of wanted header fields kept per header block. */
  maxHeaderBytes: number;
  /** Bytes of wanted header fields kept for the whole message. */
  maxTotalHeaderBytes: number;
}

export const DEFAULT_LIMITS: SummarizeLimits = {
  maxDepth: 100,
  maxParts: 10_000,
  maxHeaderBytes: 64 * 1024,
  maxTotalHeaderBytes: 4 * 1024 * 1024,
};

/** Dovecot cuts boundaries to 70 + 10 bytes; a line needs "--", the boundary and "--" to be judged. */
const BOUNDARY_MAX = 80;
const BODY_LINE_CAP = 2 + BOUNDARY_MAX + 2;

/** How a part came to be: multipart children are MIME by definition; the others need MIME-Version or Content-Type. */
type FrameKind = 'root' | 'mime' | 'message';

interface Frame {
  part: MimePart;
  parent: Frame | undefined;
  depth: number;
  kind: FrameKind;
  parentIsDigest: boolean;
  /** Set while the header is read. */
  header: HeaderBlock | undefined;
  hadHeaderLine: boolean;
  bodyStartLfs: number;
  /** Where the blank line ending the header began: a boundary right after it takes it back (Dovecot). */
  eohWire: number;
  eohLfs: number;
  envelope: EnvelopeFields | undefined;
  isDigest: boolean;
}

interface Boundary {
  bytes: Buffer;
  owner: Frame;
}

function newPart(headerStart: number): MimePart {
  return {
    headerStart,
    bodyStart: headerStart,
    bodyEnd: headerStart,
    bodyLines: 0,
    type: 'text',
    subtype: 'plain',
    params: [],
  };
}

/**
 * The MIME state machine fed line by line by WireLineScanner. It follows Dovecot's
 * message-parser: boundaries match as line prefixes (longest wins, innermost on ties), the
 * [CR]LF before a boundary line belongs to the boundary, a boundary inside a header ends that
 * header, a boundary right after the blank line takes the blank line, and bodyLines counts the
 * LFs inside [bodyStart, bodyEnd).
 */
export class StructureBuilder implements LineSink {
  want: LineWant = 2;
  cap: number;
  private readonly limits: SummarizeLimits;
  private readonly budget: HeaderBudget;
  private readonly root: Frame;
  private cur: Frame;
  private boundaries: Boundary[] = [];
  private partCount = 1;
  private exhausted = false;
  /** At the first line of a body region (after the header or after a close delimiter). */
  private regionFirst = false;
  /** The frame whose header blank line was the previous line. */
  private justEoh: Frame | undefined;

  constructor(limits: SummarizeLimits) {
    this.limits = limits;
    this.budget = { remaining: limits.maxTotalHeaderBytes };
    this.root = this.newFrame(undefined, 'root', 0, 0);
    this.cur = this.root;
    this.cap = Math.max(BODY_LINE_CAP, this.cur.header!.room());
    if (limits.maxParts <= 1) this.exhausted = true;
  }

  onLine(
    buf: Buffer,
    start: number,
    end: number,
    length: number,
    terminated: boolean,
    startWire: number,
    startLfs: number,
    endWire: number,
  ): void {
    const f = this.cur;
    const justEoh = this.justEoh;
    const regionFirst = this.regionFirst;
    this.justEoh = undefined;
    this.regionFirst = false;

    const b = this.boundaries.length > 0 ? this.findBoundary(buf, start, end) : undefined;
    if (f.header !== undefined) {
      if (b !== undefined) {
        let cutWire = startWire;
        let cutLfs = startLfs;
        if (f.hadHeaderLine) {
          cutWire -= 2;
          cutLfs -= 1;
        } else if (justEoh !== undefined && justEoh === f.parent) {
          // An encapsulated message whose first line is a boundary: the parent's blank line
          // goes to the boundary, the parent header ends before it.
          cutWire = justEoh.eohWire;
          cutLfs = justEoh.eohLfs;
          justEoh.part.bodyStart = cutWire;
          justEoh.bodyStartLfs = cutLfs;
          f.part.headerStart = cutWire;
        }
        this.atBoundary(b, buf, start, end, cutWire, cutLfs);
      } else if (length === 0 && terminated) {
        this.endHeader(f, endWire, startLfs + 1, true, startWire, startLfs);
      } else {
        f.hadHeaderLine = true;
        f.header.addLine(buf, start, end, length);
      }
    } else if (b !== undefined) {
      let cutWire = startWire - 2;
      let cutLfs = startLfs - 1;
      if (justEoh === f && b.owner !== f) {
        cutWire = f.eohWire;
        cutLfs = f.eohLfs;
        f.part.bodyStart = cutWire;
        f.bodyStartLfs = cutLfs;
      } else if (regionFirst) {
        cutWire = startWire;
        cutLfs = startLfs;
      }
      this.atBoundary(b, buf, start, end, cutWire, cutLfs);
    }
    // The boundary line itself: a new part's header starts after it.
    if (this.pendingChild) {
      this.pendingChild = false;
      if (terminated) this.startChild(endWire, startLfs + 1);
    }
    this.updateWant();
  }

  private pendingChild = false;

  /** Closes everything at EOF and returns the summary. */
  finish(wireSize: number, lfs: number): MessageSummary {
    while (this.cur.header !== undefined) this.endHeader(this.cur, wireSize, lfs, false, wireSize, lfs);
    for (let f: Frame | undefined = this.cur; f !== undefined; f = f.parent) this.closeBody(f, wireSize, lfs);
    return { envelope: this.root.envelope ?? {}, structure: this.root.part };
  }

  private newFrame(parent: Frame | undefined, kind: FrameKind, headerStart: number, lfs: number): Frame {
    const wantEnvelope = kind !== 'mime';
    return {
      part: newPart(headerStart),
      parent,
      depth: parent === undefined ? 0 : parent.depth + 1,
      kind,
      parentIsDigest: parent?.isDigest ?? false,
      header: new HeaderBlock(this.limits.maxHeaderBytes, this.budget, wantEnvelope),
      hadHeaderLine: false,
      bodyStartLfs: lfs,
      eohWire: headerStart,
      eohLfs: lfs,
      envelope: wantEnvelope ? {} : undefined,
      isDigest: false,
    };
  }

  private findBoundary(buf: Buffer, start: number, end: number): Boundary | undefined {
    if (end - start < 2 || buf[start] !== 45 || buf[start + 1] !== 45) return undefined;
    let best: Boundary | undefined;
    const avail = end - start - 2;
    for (let i = this.boundaries.length - 1; i >= 0; i--) {
      const b = this.boundaries[i]!;
      const len = b.bytes.length;
      if (len > avail || (best !== undefined && best.bytes.length >= len)) continue;
      if (buf.compare(b.bytes, 0, len, start + 2, start + 2 + len) === 0) best = b;
    }
    return best;
  }

  /**
   * A boundary line of `b.owner` was found: every part inside it ends at `endWire`. A close
   * delimiter starts the owner's epilogue; any other starts a new child after the line.
   */
  private atBoundary(
    b: Boundary,
    buf: Buffer,
    start: number,
    end: number,
    endWire: number,
    endLfs: number,
  ): void {
    while (this.cur.header !== undefined) this.endHeader(this.cur, endWire, endLfs, false, endWire, endLfs);
    while (this.cur !== b.owner) {
      this.closeBody(this.cur, endWire, endLfs);
      this.cur = this.cur.parent!;
    }
    const idx = this.boundaries.indexOf(b);
    const len = b.bytes.length;
    const close = end - start >= len + 4 && buf[start + len + 2] === 45 && buf[start + len + 3] === 45;
    if (close || idx < 0) {
      // idx < 0: the part limit was reached while closing; the rest is the owner's body.
      if (idx >= 0) this.boundaries.length = idx;
      this.regionFirst = true;
    } else {
      this.boundaries.length = idx + 1;
      this.pendingChild = true;
    }
  }

  private startChild(headerStart: number, lfs: number): void {
    const owner = this.cur;
    const child = this.newFrame(owner, 'mime', headerStart, lfs);
    owner.part.parts!.push(child.part);
    this.cur = child;
    this.countPart();
  }

  private countPart(): void {
    this.partCount++;
    if (this.partCount >= this.limits.maxParts) {
      // Dovecot stops looking for boundaries here: the rest is the current part's body.
      this.exhausted = true;
      this.boundaries.length = 0;
    }
  }

  /**
   * The header of `f` ended: at a blank line (`eoh`), at a boundary or at EOF. Decides the
   * part's type and opens it as a container when allowed.
   */
  private endHeader(
    f: Frame,
    bodyStart: number,
    bodyStartLfs: number,
    eoh: boolean,
    eohWire: number,
    eohLfs: number,
  ): void {
    const block = f.header!;
    f.header = undefined;
    const part = f.part;
    part.bodyStart = bodyStart;
    part.bodyEnd = bodyStart;
    f.bodyStartLfs = bodyStartLfs;
    f.eohWire = eohWire;
    f.eohLfs = eohLfs;
    const fields = block.first();
    if (f.envelope !== undefined) Object.assign(f.envelope, block.envelope(fields));
    const ct = fields.get('content-type');
    const isMime = f.kind === 'mime' || ct !== undefined || fields.has('mime-version');
    if (isMime) this.applyContentFields(part, fields);
    if (ct === undefined && isMime && f.parentIsDigest) {
      part.type = 'message';
      part.subtype = 'rfc822';
    }
    if (part.type === 'text' && !part.params.some(([k]) => k === 'charset')) {
      // Dovecot's BODYSTRUCTURE adds the RFC 2045 default for every text part without one.
      part.params.push(['charset', 'us-ascii']);
    }
    const canOpen = !this.exhausted && f.depth + 1 < this.limits.maxDepth;
    if (part.type === 'multipart' && part.subtype !== '' && canOpen) {
      part.parts = [];
      f.isDigest = part.subtype === 'digest';
      const boundary = boundaryOf(part.params);
      if (eoh && boundary !== undefined) {
        this.boundaries.push({ bytes: Buffer.from(boundary, 'latin1').subarray(0, BOUNDARY_MAX), owner: f });
      }
    } else if (
      part.type === 'message' &&
      (part.subtype === 'rfc822' || part.subtype === 'global') &&
      canOpen
    ) {
      const child = this.newFrame(f, 'message', bodyStart, bodyStartLfs);
      part.message = { envelope: child.envelope!, body: child.part };
      this.cur = child;
      this.countPart();
      if (eoh) this.justEoh = f;
      return;
    }
    if (eoh) {
      this.justEoh = f;
      this.regionFirst = true;
    }
  }

  private applyContentFields(part: MimePart, fields: Map<string, string>): void {
    const ct = fields.get('content-type');
    if (ct !== undefined) {
      const parsed = parseContentType(ct);
      part.type = parsed.type;
      part.subtype = parsed.subtype;
      part.params = parsed.params.map(([k, v]) => [k, headerText(v)]);
    }
    const id = fields.get('content-id');
    if (id !== undefined) part.id = headerText(id);
    const description = fields.get('content-description');
    if (description !== undefined) part.description = headerText(description);
    const cte = fields.get('content-transfer-encoding');
    if (cte !== undefined) {
      const enc = parseTransferEncoding(cte);
      if (enc !== undefined) part.encoding = enc;
    }
    const md5 = fields.get('content-md5');
    if (md5 !== undefined) part.md5 = headerText(md5);
    const disposition = fields.get('content-disposition');
    if (disposition !== undefined) {
      const d = parseDisposition(disposition);
      if (d !== undefined) {
        part.disposition = { type: headerText(d.type), params: d.params.map(([k, v]) => [k, headerText(v)]) };
      }
    }
    const language = fields.get('content-language');
    if (language !== undefined) {
      const langs = parseLanguage(language);
      if (langs !== undefined) part.language = langs.map(headerText);
    }
    const location = fields.get('content-location');
    if (location !== undefined) part.location = headerText(location);
  }

  private closeBody(f: Frame, endWire: number, endLfs: number): void {
    const part = f.part;
    part.bodyEnd = Math.max(endWire, part.bodyStart);
    part.bodyLines = Math.max(0, endLfs - f.bodyStartLfs);
    if (part.parts !== undefined && part.parts.length === 0) {
      // Dovecot answers a multipart without parts with one empty text/plain part.
      const empty = newPart(part.bodyStart);
      empty.params.push(['charset', 'us-ascii']);
      part.parts.push(empty);
    }
  }

  private updateWant(): void {
    const f = this.cur;
    if (f.header !== undefined) {
      this.want = 2;
      this.cap = Math.max(BODY_LINE_CAP, f.header.room());
      return;
    }
    this.cap = BODY_LINE_CAP;
    if (this.justEoh !== undefined || this.regionFirst) this.want = 2;
    else this.want = this.boundaries.length > 0 ? 1 : 0;
  }
}
