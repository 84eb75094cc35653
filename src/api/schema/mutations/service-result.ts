/** `ServiceResult`: the union every service command returns. */
import type { ServiceStatus } from '../../../core/status.js';
import { resultUnion } from '../types/errors.js';
import { ServiceRef } from '../types/service.js';

export const ServiceResultRef = resultUnion<ServiceStatus>('ServiceResult', ServiceRef);
