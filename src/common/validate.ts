/** Input checks shared by the services; each returns UserErrors with a field path. */
import { userError, UserErrorCode, type UserError } from './errors';
import { validGeo, type GeoPoint } from './geo';

export const SKU = /^[A-Za-z0-9._-]{1,64}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

export function checkSku(sku: string, field: (string | number)[]): UserError[] {
  return SKU.test(sku) ? [] : [userError(UserErrorCode.VALIDATION, `SKU "${sku.slice(0, 80)}" must be 1-64 characters of A-Z a-z 0-9 . _ -`, field)];
}

export function checkGeo(geo: GeoPoint | null | undefined, field: (string | number)[]): UserError[] {
  if (!geo) return [];
  return validGeo(geo) ? [] : [userError(UserErrorCode.VALIDATION, 'lat must be within [-90, 90] and lng within [-180, 180]', field)];
}

export function checkText(value: string | null | undefined, field: (string | number)[], max: number, required = true): UserError[] {
  if (value === null || value === undefined) {
    return required ? [userError(UserErrorCode.VALIDATION, `${field[field.length - 1]} is required`, field)] : [];
  }
  if ((required && value.trim() === '') || value.length > max) {
    return [userError(UserErrorCode.VALIDATION, `${field[field.length - 1]} must be 1-${max} characters`, field)];
  }
  return [];
}

export function checkInt(value: number, field: (string | number)[], min: number, max: number): UserError[] {
  return Number.isInteger(value) && value >= min && value <= max
    ? []
    : [userError(UserErrorCode.VALIDATION, `${field[field.length - 1]} must be an integer from ${min} to ${max}`, field)];
}
