/** Every migration, in order. Append new ones; never edit one that has landed. */
import { Init1764100000000 } from './1764100000000-Init';
import { Lifecycle1764200000000 } from './1764200000000-Lifecycle';
import { Carts1764300000000 } from './1764300000000-Carts';
import { RuleVersions1764400000000 } from './1764400000000-RuleVersions';
import { LocationEvents1764500000000 } from './1764500000000-LocationEvents';
import { LocationUnitVectors1764600000000 } from './1764600000000-LocationUnitVectors';
import { LocationGeneration1764700000000 } from './1764700000000-LocationGeneration';
import { PositionsBySku1764800000000 } from './1764800000000-PositionsBySku';

export const migrations = [Init1764100000000, Lifecycle1764200000000, Carts1764300000000, RuleVersions1764400000000, LocationEvents1764500000000, LocationUnitVectors1764600000000, LocationGeneration1764700000000, PositionsBySku1764800000000];
