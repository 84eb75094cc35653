/** `ServiceResult`: the union every service command returns (the hub's adds AmbiguousError and CommandPending). */
import type { ServiceStatus } from '../../../core/status.js';
import { resultUnion } from '../types/errors.js';
import { ServiceRef } from '../types/service.js';

export const ServiceResultRef = resultUnion<ServiceStatus>('ServiceResult', ServiceRef, true);
