/** Every migration, in order. Append new ones; never edit one that has landed. */
import { Init1764100000000 } from './1764100000000-Init';

export const migrations = [Init1764100000000];
