/**
 * Direct request/response between members over the stream protocol `/swarmd/<swarmId>/fetch/1.0.0`
 * (repairing missing updates and chunks by hash). One length-prefixed request frame, one length-prefixed
 * response frame `[status byte][payload]`; requests from non-members are answered with a refusal.
 */
import * as lp from 'it-length-prefixed';
import { Uint8ArrayList } from 'uint8arraylist';
import { peerIdFromString } from '@libp2p/peer-id';
import type { IncomingStreamData, Libp2p, Stream } from '@libp2p/interface';
import { SwarmdError } from '../../core/errors.js';
import type { Logger } from '../../core/index.js';

/** Largest request or response payload. */
export const MAX_DIRECT_PAYLOAD_BYTES = 8 * 1024 * 1024;
const MAX_FRAME_BYTES = MAX_DIRECT_PAYLOAD_BYTES + 1;
/** How long a responder waits for the request frame after a stream opens. */
const REQUEST_READ_TIMEOUT_MS = 30_000;

const Status = { Ok: 0, Refused: 1, Failed: 2 } as const;
type Status = (typeof Status)[keyof typeof Status];

/** A direct request that did not get an answer; `code` says why (DIRECT_*). */
export class DirectRequestError extends SwarmdError {}

export type DirectHandler = (request: Uint8Array, fromPeerId: string) => Promise<Uint8Array>;

/** The slice of a pino logger the swarm uses (structured fields first). */
export type SwarmLog = Pick<Logger, 'debug' | 'warn'>;

export interface DirectComponents {
  node: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>;
  isMember(peerId: string): boolean;
  log: SwarmLog;
}

export interface DirectRequestOptions {
  timeoutMs: number;
  /** Ends the request early (the peer is stopping). */
  signal?: AbortSignal;
}

export interface DirectProtocol {
  readonly protocol: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sets the function that answers requests (replacing any earlier one). */
  handle(handler: DirectHandler): void;
  request(peerId: string, request: Uint8Array, options: DirectRequestOptions): Promise<Uint8Array>;
}

export function directProtocolName(swarmId: string): string {
  return `/swarmd/${swarmId}/fetch/1.0.0`;
}

export function createDirectProtocol(swarmId: string, components: DirectComponents): DirectProtocol {
  const protocol = directProtocolName(swarmId);
  const { node, isMember, log } = components;
  let handler: DirectHandler | undefined;
  let started = false;

  const serve = async ({ stream, connection }: IncomingStreamData): Promise<void> => {
    const from = connection.remotePeer.toString();
    try {
      if (!isMember(from)) {
        log.warn({ peer: from, protocol }, 'refused a direct request from a non-member');
        await writeFrame(stream, Status.Refused, 'not a member of this swarm');
        return;
      }
      const deadline = timeoutSignal(REQUEST_READ_TIMEOUT_MS);
      const request = await readFrame(stream, deadline.signal).finally(deadline.clear);
      if (request == null) throw new Error('stream closed before the request arrived');
      const answer = await answerWith(handler, request, from);
      await writeFrame(stream, answer.status, answer.payload);
    } catch (err) {
      log.warn({ peer: from, protocol, err }, 'direct request failed');
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  };

  const answerWith = async (
    current: DirectHandler | undefined,
    request: Uint8Array,
    from: string,
  ): Promise<{ status: Status; payload: Uint8Array | string }> => {
    if (current == null) return { status: Status.Failed, payload: 'no handler for direct requests' };
    try {
      const payload = await current(request, from);
      if (payload.byteLength > MAX_DIRECT_PAYLOAD_BYTES) {
        log.warn({ peer: from, bytes: payload.byteLength }, 'direct response too large, not sent');
        return {
          status: Status.Failed,
          payload: `response of ${payload.byteLength} bytes exceeds the limit`,
        };
      }
      return { status: Status.Ok, payload };
    } catch (err) {
      log.warn({ peer: from, err }, 'direct request handler failed');
      return { status: Status.Failed, payload: err instanceof Error ? err.message : String(err) };
    }
  };

  return {
    protocol,
    async start() {
      if (started) return;
      await node.handle(protocol, serve);
      started = true;
    },
    async stop() {
      if (!started) return;
      started = false;
      await node.unhandle(protocol);
    },
    handle(next) {
      handler = next;
    },
    request: (peerId, request, options) => sendRequest(node, protocol, peerId, request, options),
  };
}

async function sendRequest(
  node: Pick<Libp2p, 'dialProtocol'>,
  protocol: string,
  peerId: string,
  request: Uint8Array,
  { timeoutMs, signal: stopping }: DirectRequestOptions,
): Promise<Uint8Array> {
  if (request.byteLength > MAX_DIRECT_PAYLOAD_BYTES) {
    throw new DirectRequestError(
      'DIRECT_TOO_LARGE',
      `request of ${request.byteLength} bytes exceeds the ${MAX_DIRECT_PAYLOAD_BYTES}-byte limit; split it`,
    );
  }
  stopping?.throwIfAborted();
  const { signal, clear } = timeoutSignal(timeoutMs, stopping);
  let stream: Stream | undefined;
  try {
    stream = await node.dialProtocol(peerIdFromString(peerId), protocol, { signal });
    await stream.sink([lp.encode.single(request, { maxDataLength: MAX_FRAME_BYTES })]);
    const frame = await readFrame(stream, signal);
    await stream.close();
    return decodeResponse(frame, peerId);
  } catch (err) {
    stream?.abort(err instanceof Error ? err : new Error(String(err)));
    if (err instanceof DirectRequestError) throw err;
    if (stopping?.aborted === true) {
      throw new DirectRequestError('DIRECT_ABORTED', `request to ${peerId} abandoned: stopping`, {
        cause: err,
      });
    }
    if (signal.aborted) {
      throw new DirectRequestError(
        'DIRECT_TIMEOUT',
        `peer ${peerId} did not answer ${protocol} within ${timeoutMs} ms; it may be busy or gone — retry with another peer`,
        { cause: err },
      );
    }
    throw new DirectRequestError(
      'DIRECT_UNREACHABLE',
      `could not exchange ${protocol} with peer ${peerId}: ${err instanceof Error ? err.message : String(err)}; check that it is running and that both peers list each other as members`,
      { cause: err },
    );
  } finally {
    clear();
  }
}

/**
 * Like AbortSignal.timeout, but the timer can be cleared so nothing outlives the request; it also aborts
 * when `parent` does.
 */
export function timeoutSignal(ms: number, parent?: AbortSignal): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms);
  const onParent = () => controller.abort(parent!.reason);
  parent?.addEventListener('abort', onParent, { once: true });
  const clear = () => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParent);
  };
  return { signal: controller.signal, clear };
}

function decodeResponse(frame: Uint8Array | undefined, peerId: string): Uint8Array {
  if (frame == null || frame.byteLength === 0) {
    throw new DirectRequestError('DIRECT_NO_RESPONSE', `peer ${peerId} closed the stream without answering`);
  }
  const payload = frame.subarray(1);
  switch (frame[0]) {
    case Status.Ok:
      return payload;
    case Status.Refused:
      throw new DirectRequestError(
        'DIRECT_REFUSED',
        `peer ${peerId} refused the request (${new TextDecoder().decode(payload)}); check both peers' member lists`,
      );
    default:
      throw new DirectRequestError(
        'DIRECT_REMOTE_ERROR',
        `peer ${peerId} could not answer: ${new TextDecoder().decode(payload)}`,
      );
  }
}

/** Reads one frame; aborting `signal` aborts the stream so a pending read ends. */
async function readFrame(stream: Stream, signal: AbortSignal): Promise<Uint8Array | undefined> {
  const onAbort = (): void => stream.abort(new Error('timed out'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    signal.throwIfAborted();
    for await (const frame of lp.decode(stream.source, { maxDataLength: MAX_FRAME_BYTES })) {
      return frame.subarray();
    }
    return undefined;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function writeFrame(stream: Stream, status: Status, payload: Uint8Array | string): Promise<void> {
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const frame = new Uint8ArrayList(Uint8Array.of(status), body);
  await stream.sink([lp.encode.single(frame, { maxDataLength: MAX_FRAME_BYTES })]);
}
