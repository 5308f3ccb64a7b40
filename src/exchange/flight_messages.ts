/** Arrow Flight's FlightData and FlightDescriptor (proto/spillway.proto), as DoExchange carries them. */
import { decodeMessage, encodeMessage, type Spec } from '../common/protobuf.js';

const EMPTY = new Uint8Array(0);

export const DescriptorType = { UNKNOWN: 0, PATH: 1, CMD: 2 } as const;

export interface FlightDescriptor {
  type: number;
  cmd: Uint8Array;
  path: string[];
}

export interface FlightData {
  flightDescriptor: FlightDescriptor | null;
  dataHeader: Uint8Array;
  appMetadata: Uint8Array;
  dataBody: Uint8Array;
}

export const FLIGHT_DESCRIPTOR: Spec<FlightDescriptor> = {
  type: { no: 1, kind: 'enum' },
  cmd: { no: 2, kind: 'bytes' },
  path: { no: 4, kind: 'string', repeated: true },
};

export const FLIGHT_DATA: Spec<FlightData> = {
  flightDescriptor: { no: 1, kind: 'message', spec: FLIGHT_DESCRIPTOR },
  dataHeader: { no: 2, kind: 'bytes' },
  appMetadata: { no: 3, kind: 'bytes' },
  dataBody: { no: 1000, kind: 'bytes' },
};

export function flightData(parts: Partial<FlightData>): FlightData {
  return {
    flightDescriptor: parts.flightDescriptor ?? null,
    dataHeader: parts.dataHeader ?? EMPTY,
    appMetadata: parts.appMetadata ?? EMPTY,
    dataBody: parts.dataBody ?? EMPTY,
  };
}

export const encodeFlightData = (m: FlightData): Buffer => encodeMessage(FLIGHT_DATA, m);
export const decodeFlightData = (b: Uint8Array): FlightData => decodeMessage(FLIGHT_DATA, b);
