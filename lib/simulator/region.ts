// Texas: one state with four honest thermal-stress bands (Trans-Pecos desert, Gulf coast,
// central prairies, High Plains panhandle) and two IANA zones (El Paso and Hudspeth counties
// keep Mountain time). City centres; population = 2020 census city, thousands, as a weight.

/** Thermal-stress classes for enclosure ageing, not Köppen: "cold" = panhandle freezes and snow. */
export const CLIMATE_ZONES = ["hot-dry", "hot-humid", "temperate", "cold"] as const;
export type ClimateZone = (typeof CLIMATE_ZONES)[number];

export const REGION_TIMEZONES = ["America/Chicago", "America/Denver"] as const;
export type RegionTimezone = (typeof REGION_TIMEZONES)[number];

export interface Town {
  name: string;
  lat: number;
  lon: number;
  /** Thousands of residents: relative weight only. */
  population: number;
  climate: ClimateZone;
  timezone: RegionTimezone;
}

export interface ClimateZoneInfo {
  id: ClimateZone;
  name: string;
  /** Multiplier on component ageing (capacitors, seals); temperate = 1. */
  thermalStressFactor: number;
  /** Mean annual air temperature °C and seasonal half-swing, for enclosure temperatures. */
  meanTempC: number;
  seasonalSwingC: number;
}

export interface Region {
  id: string;
  name: string;
  bbox: { minLat: number; maxLat: number; minLon: number; maxLon: number };
  climateZones: readonly ClimateZoneInfo[];
  towns: readonly Town[];
}

const C = "America/Chicago" as const;
const D = "America/Denver" as const;

const t = (name: string, lat: number, lon: number, population: number, climate: ClimateZone, timezone: RegionTimezone = C): Town => ({
  name,
  lat,
  lon,
  population,
  climate,
  timezone,
});

export const TEXAS: Region = {
  id: "us-tx",
  name: "Texas, United States",
  bbox: { minLat: 25.837, maxLat: 36.501, minLon: -106.646, maxLon: -93.508 },
  climateZones: [
    { id: "hot-dry", name: "Hot-dry: Trans-Pecos, Permian Basin, Rio Grande border", thermalStressFactor: 1.45, meanTempC: 18.5, seasonalSwingC: 10 },
    { id: "hot-humid", name: "Hot-humid: Gulf coast and lower Rio Grande Valley", thermalStressFactor: 1.3, meanTempC: 21.5, seasonalSwingC: 8 },
    { id: "temperate", name: "Temperate: central and north-central prairies", thermalStressFactor: 1.0, meanTempC: 19, seasonalSwingC: 10 },
    { id: "cold", name: "Cold: High Plains panhandle", thermalStressFactor: 0.85, meanTempC: 14, seasonalSwingC: 11 },
  ],
  towns: [
    t("Houston", 29.76, -95.37, 2304, "hot-humid"),
    t("San Antonio", 29.424, -98.494, 1434, "temperate"),
    t("Dallas", 32.777, -96.797, 1304, "temperate"),
    t("Austin", 30.267, -97.743, 962, "temperate"),
    t("Fort Worth", 32.755, -97.331, 918, "temperate"),
    t("El Paso", 31.759, -106.487, 679, "hot-dry", D),
    t("Arlington", 32.736, -97.108, 395, "temperate"),
    t("Corpus Christi", 27.801, -97.396, 317, "hot-humid"),
    t("Plano", 33.02, -96.699, 285, "temperate"),
    t("Lubbock", 33.578, -101.855, 258, "cold"),
    t("Laredo", 27.531, -99.48, 255, "hot-dry"),
    t("Irving", 32.814, -96.949, 254, "temperate"),
    t("Garland", 32.913, -96.639, 246, "temperate"),
    t("Frisco", 33.151, -96.824, 201, "temperate"),
    t("McKinney", 33.198, -96.615, 195, "temperate"),
    t("Amarillo", 35.222, -101.831, 200, "cold"),
    t("Brownsville", 25.901, -97.497, 186, "hot-humid"),
    t("Killeen", 31.117, -97.728, 153, "temperate"),
    t("Pasadena", 29.691, -95.209, 151, "hot-humid"),
    t("McAllen", 26.203, -98.23, 142, "hot-humid"),
    t("Denton", 33.215, -97.133, 139, "temperate"),
    t("Waco", 31.549, -97.147, 138, "temperate"),
    t("Midland", 31.997, -102.078, 132, "hot-dry"),
    t("Abilene", 32.449, -99.733, 125, "hot-dry"),
    t("Pearland", 29.564, -95.286, 125, "hot-humid"),
    t("Round Rock", 30.508, -97.679, 119, "temperate"),
    t("College Station", 30.628, -96.334, 120, "temperate"),
    t("Beaumont", 30.08, -94.127, 115, "hot-humid"),
    t("League City", 29.507, -95.095, 114, "hot-humid"),
    t("Odessa", 31.846, -102.368, 114, "hot-dry"),
    t("Sugar Land", 29.62, -95.635, 111, "hot-humid"),
    t("Tyler", 32.351, -95.301, 106, "temperate"),
    t("Wichita Falls", 33.914, -98.493, 102, "temperate"),
    t("San Angelo", 31.464, -100.437, 99, "hot-dry"),
    t("Longview", 32.501, -94.74, 82, "temperate"),
    t("Harlingen", 26.191, -97.696, 71, "hot-humid"),
    t("Victoria", 28.805, -97.004, 65, "hot-humid"),
    t("Galveston", 29.301, -94.798, 53, "hot-humid"),
    t("Del Rio", 29.363, -100.897, 35, "hot-dry"),
    t("Socorro", 31.655, -106.303, 35, "hot-dry", D),
    t("Big Spring", 32.25, -101.479, 26, "hot-dry"),
    t("Horizon City", 31.693, -106.207, 22, "hot-dry", D),
    t("Plainview", 34.185, -101.707, 20, "cold"),
    t("Pampa", 35.536, -100.96, 17, "cold"),
    t("Canyon", 34.98, -101.918, 16, "cold"),
    t("Hereford", 34.815, -102.398, 15, "cold"),
    t("Dumas", 35.866, -101.973, 14, "cold"),
    t("Levelland", 33.587, -102.378, 13, "cold"),
    t("Borger", 35.668, -101.397, 12, "cold"),
    t("Pecos", 31.423, -103.493, 12, "hot-dry"),
    t("Dalhart", 36.06, -102.517, 8, "cold"),
    t("Alpine", 30.359, -103.661, 6, "hot-dry"),
    t("Van Horn", 31.04, -104.831, 2, "hot-dry"),
    t("Sierra Blanca", 31.175, -105.357, 1, "hot-dry", D),
  ],
};

const STANDARD_OFFSET_MIN: Record<RegionTimezone, number> = { "America/Chicago": -360, "America/Denver": -420 };
const dstCache = new Map<string, [number, number]>();

/** UTC offset in minutes for a region zone at an instant, by the US rule in force since 2007. */
export function getUtcOffsetMinutes(timezone: RegionTimezone, ms: number): number {
  const std = STANDARD_OFFSET_MIN[timezone];
  const year = new Date(ms).getUTCFullYear();
  const key = timezone + year;
  let window = dstCache.get(key);
  if (!window) {
    // Second Sunday of March 02:00 local standard; first Sunday of November 02:00 local daylight.
    const marchFirstDay = new Date(Date.UTC(year, 2, 1)).getUTCDay();
    const novFirstDay = new Date(Date.UTC(year, 10, 1)).getUTCDay();
    const startDay = 1 + ((7 - marchFirstDay) % 7) + 7;
    const endDay = 1 + ((7 - novFirstDay) % 7);
    const start = Date.UTC(year, 2, startDay, 2) - std * 60_000;
    const end = Date.UTC(year, 10, endDay, 2) - (std + 60) * 60_000;
    window = [start, end];
    dstCache.set(key, window);
  }
  return ms >= window[0] && ms < window[1] ? std + 60 : std;
}

/** Great-circle distance in km (haversine). */
export function getDistanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(a));
}
