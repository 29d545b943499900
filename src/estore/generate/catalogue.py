"""The product catalogue: a category tree, brands per category and log-normal prices per category."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

# (category_code, median price) -- codes as in the REES46 electronics-heavy multi-category store.
CATEGORY_CODES: tuple[tuple[str, float], ...] = (
    ("electronics.smartphone", 260.0), ("electronics.audio.headphone", 45.0),
    ("electronics.video.tv", 380.0), ("electronics.clocks", 150.0), ("electronics.tablet", 210.0),
    ("electronics.audio.subwoofer", 120.0), ("electronics.audio.acoustic", 90.0),
    ("electronics.audio.microphone", 35.0), ("electronics.audio.music_tools.piano", 420.0),
    ("electronics.camera.photo", 480.0), ("electronics.camera.video", 390.0),
    ("electronics.telephone", 25.0), ("electronics.video.projector", 520.0),
    ("computers.notebook", 620.0), ("computers.desktop", 560.0), ("computers.components.videocards", 310.0),
    ("computers.components.cpu", 210.0), ("computers.components.memory", 60.0),
    ("computers.components.hdd", 70.0), ("computers.components.motherboard", 130.0),
    ("computers.components.power_supply", 55.0), ("computers.components.cooler", 25.0),
    ("computers.peripherals.printer", 190.0), ("computers.peripherals.monitor", 220.0),
    ("computers.peripherals.mouse", 18.0), ("computers.peripherals.keyboard", 28.0),
    ("computers.peripherals.camera", 40.0), ("computers.network.router", 45.0),
    ("computers.ebooks", 110.0), ("computers.gaming", 160.0),
    ("appliances.kitchen.refrigerators", 520.0), ("appliances.kitchen.washer", 350.0),
    ("appliances.kitchen.microwave", 110.0), ("appliances.kitchen.oven", 330.0),
    ("appliances.kitchen.hob", 240.0), ("appliances.kitchen.hood", 160.0),
    ("appliances.kitchen.kettle", 30.0), ("appliances.kitchen.blender", 45.0),
    ("appliances.kitchen.mixer", 40.0), ("appliances.kitchen.coffee_machine", 260.0),
    ("appliances.kitchen.meat_grinder", 75.0), ("appliances.kitchen.toster", 35.0),
    ("appliances.kitchen.dishwasher", 380.0), ("appliances.kitchen.juicer", 55.0),
    ("appliances.environment.vacuum", 140.0), ("appliances.environment.air_conditioner", 420.0),
    ("appliances.environment.water_heater", 150.0), ("appliances.environment.fan", 35.0),
    ("appliances.environment.air_heater", 45.0), ("appliances.iron", 40.0),
    ("appliances.sewing_machine", 170.0),
    ("appliances.personal.hair_cutter", 30.0), ("appliances.personal.massager", 60.0),
    ("appliances.personal.scales", 20.0), ("appliances.ironing_board", 35.0),
    ("apparel.shoes", 65.0), ("apparel.shoes.keds", 55.0), ("apparel.shoes.sandals", 35.0),
    ("apparel.shoes.slipons", 40.0), ("apparel.trousers", 35.0), ("apparel.jeans", 45.0),
    ("apparel.shirt", 25.0), ("apparel.costume", 60.0), ("apparel.underwear", 12.0),
    ("apparel.jacket", 85.0), ("apparel.dress", 45.0), ("apparel.tshirt", 15.0),
    ("apparel.glove", 12.0), ("apparel.scarf", 14.0),
    ("furniture.living_room.sofa", 450.0), ("furniture.living_room.cabinet", 210.0),
    ("furniture.living_room.chair", 90.0), ("furniture.bedroom.bed", 330.0),
    ("furniture.bedroom.pillow", 18.0), ("furniture.kitchen.table", 140.0), ("furniture.kitchen.chair", 45.0),
    ("furniture.bathroom.bath", 260.0), ("furniture.universal.light", 30.0),
    ("auto.accessories.player", 70.0), ("auto.accessories.videoregister", 65.0),
    ("auto.accessories.alarm", 110.0), ("auto.accessories.compressor", 40.0),
    ("auto.accessories.radar", 85.0), ("auto.accessories.parktronic", 50.0),
    ("construction.tools.drill", 80.0), ("construction.tools.saw", 95.0),
    ("construction.tools.welding", 150.0), ("construction.tools.light", 20.0),
    ("construction.tools.pump", 120.0), ("construction.tools.heater", 60.0),
    ("construction.components.faucet", 55.0), ("construction.tools.screw", 9.0),
    ("kids.toys", 22.0), ("kids.carriage", 260.0), ("kids.skates", 45.0), ("kids.swing", 70.0),
    ("kids.dolls", 25.0), ("kids.fmcg.diapers", 18.0),
    ("sport.bicycle", 330.0), ("sport.tennis", 45.0), ("sport.ski", 180.0), ("sport.snowboard", 210.0),
    ("sport.trainer", 280.0), ("sport.diving", 60.0),
    ("accessories.bag", 40.0), ("accessories.wallet", 22.0), ("accessories.umbrella", 15.0),
    ("country_yard.cultivator", 290.0), ("country_yard.lawn_mower", 240.0),
    ("country_yard.watering", 25.0), ("country_yard.furniture.hammok", 60.0),
    ("medicine.tools.tonometer", 40.0), ("stationery.cartrige", 25.0), ("stationery.paper", 6.0),
    ("stationery.pen", 3.5), ("stationery.battery", 4.0),
)  # fmt: skip
# Categories without a code: cheap consumables and long-tail goods, REES46 leaves them empty.
UNCODED_MEDIANS = (4.0, 8.0, 12.0, 18.0, 25.0, 40.0, 60.0, 90.0, 150.0, 250.0)

KNOWN_BRANDS = (
    "samsung apple xiaomi huawei lucente lg sony oppo acer lenovo hp asus respect indesit artel elenberg "
    "cordiant pulser redmond vitek midea philips beko haier tefal polaris canon nikon garmin jbl casio "
    "bosch atlant sv tp-link intel amd gigabyte msi kingston seagate sandisk logitech defender xerox "
    "epson brother karcher makita dewalt gorenje electrolux zanussi candy hotpoint delonghi braun "
    "panasonic toshiba honor meizu vivo nokia alcatel irbis digma prestigio ritmix sven dexp bbk "
    "weltmeister janome singer stels forward novatrack adidas nike puma reebok kapika baden "
    "tuffoni milavitsa cassis lego hasbro mattel chicco inglesina omron beurer and kenwood moulinex"
).split()
SYLLABLES = (
    "ka ro mi ta lu ne so vi ra de lo fa ni tor ex on ar el is us ko ma ze ri po la ve xa ti gor ben "
    "sta dia mon tel ver lin dor pan sen rex vol"
).split()


@dataclass(frozen=True)
class Catalogue:
    """Products sorted by category: category c owns rows cat_start[c]:cat_start[c+1]."""

    product_id: np.ndarray  # int64
    category: np.ndarray  # int32 category index of each product
    price_cents: np.ndarray  # int64
    brand: np.ndarray  # int32 index into brand_names (0 = empty brand)
    alt_brand: np.ndarray  # int32 second brand (0 = none)
    cat_start: np.ndarray  # int64, length n_categories + 1
    cat_cdf: np.ndarray  # cumulative category popularity (float64, ends at 1)
    product_cum: np.ndarray  # cumulative product popularity in catalogue order (float64)
    category_id: np.ndarray  # int64 per category
    category_code: list[str]  # per category ("" when uncoded)
    brand_names: list[str]  # index 0 is ""
    by_price: np.ndarray  # indices of purchasable (price > 0) products sorted by price
    # output strings per product / brand
    product_id_str: pa.Array
    category_id_str: pa.Array
    category_code_str: pa.Array
    price_str: pa.Array
    brand_str: pa.Array

    @property
    def n_products(self) -> int:
        return len(self.product_id)


def _brand_names(rng: np.random.Generator, n: int) -> list[str]:
    names = list(dict.fromkeys(KNOWN_BRANDS))[:n]
    seen = set(names)
    while len(names) < n:
        k = int(rng.integers(2, 4))
        name = "".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), k))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def build_catalogue(rng: np.random.Generator, events: int) -> Catalogue:
    """A catalogue sized for `events` (REES46: ~167k products, ~600 categories, ~3.4k brands at 42M)."""
    n_products = int(np.clip(events * 0.02, 3000, 200_000))
    n_categories = int(np.clip(n_products / 280, 150, 620))
    n_brands = int(np.clip(n_products / 55, 150, 3500))

    # --- categories: every code at least once, popular codes get several category_ids
    n_codes = len(CATEGORY_CODES)
    n_coded = int(round(n_categories * 0.7))
    code_of = np.concatenate([np.arange(n_codes), rng.integers(0, n_codes, max(n_coded - n_codes, 0))])
    n_uncoded = n_categories - len(code_of)
    cat_weight = rng.lognormal(0.0, 1.1, n_categories)
    # uncoded categories carry ~32% of the traffic, as in REES46
    coded_w = cat_weight[: len(code_of)]
    uncoded_w = cat_weight[len(code_of) :]
    cat_weight[len(code_of) :] = uncoded_w / uncoded_w.sum() * 0.32
    cat_weight[: len(code_of)] = coded_w / coded_w.sum() * 0.68
    codes = [CATEGORY_CODES[i][0] for i in code_of] + [""] * n_uncoded
    medians = np.concatenate(
        [
            np.array([CATEGORY_CODES[i][1] for i in code_of]),
            np.array(UNCODED_MEDIANS)[rng.integers(0, len(UNCODED_MEDIANS), n_uncoded)],
        ]
    )
    medians = medians * rng.lognormal(0.0, 0.25, n_categories)
    category_id = np.unique(rng.integers(2_053_013_552_226_107_603, 2_200_000_000_000_000_000, n_categories * 2))
    category_id = rng.permutation(category_id)[:n_categories].astype(np.int64)
    order = rng.permutation(n_categories)  # mix coded and uncoded categories
    cat_weight, medians, category_id = cat_weight[order], medians[order], category_id[order]
    codes = [codes[i] for i in order]

    # --- products: a share of each category proportional to its weight (at least 3)
    share = cat_weight**0.6
    per_cat = np.maximum(3, np.floor(n_products * share / share.sum())).astype(np.int64)
    n_products = int(per_cat.sum())
    cat_start = np.concatenate([[0], np.cumsum(per_cat)])
    category = np.repeat(np.arange(n_categories, dtype=np.int32), per_cat)
    gaps = rng.integers(1, max(2, int(2 * 99_000_000 / n_products)), n_products)
    product_id = rng.permutation(1_000_978 + np.cumsum(gaps) - gaps[0]).astype(np.int64)
    price = medians[category] * rng.lognormal(0.0, 0.5, n_products)
    price_cents = np.clip(np.round(price * 100), 77, 257_407).astype(np.int64)
    price_cents[rng.random(n_products) < 0.0005] = 0  # a few free items, as in REES46

    # popularity within category: heavy-tailed
    within = rng.pareto(1.2, n_products) + 1.0
    within_sum = np.add.reduceat(within, cat_start[:-1])
    weight = within / within_sum[category] * cat_weight[category]
    product_cum = np.cumsum(weight)
    product_cum /= product_cum[-1]
    cat_cdf = np.cumsum(cat_weight)
    cat_cdf /= cat_cdf[-1]

    # --- brands: each category has a pool drawn from a Zipf-popular global list
    names = [""] + _brand_names(rng, n_brands)
    global_pop = 1.0 / np.arange(1, n_brands + 1) ** 0.9
    global_cdf = np.cumsum(global_pop) / global_pop.sum()
    pool_size = np.clip(np.sqrt(per_cat) * 1.5, 2, 60).astype(np.int64)
    pool_start = np.concatenate([[0], np.cumsum(pool_size)])
    pools = 1 + np.searchsorted(global_cdf, rng.random(int(pool_start[-1])), side="right").clip(0, n_brands - 1)
    # each product: a pool member, Zipf-weighted towards the first members
    pick = np.floor(pool_size[category] * rng.random(n_products) ** 2.0).astype(np.int64)
    brand = pools[pool_start[category] + pick].astype(np.int32)
    brand[rng.random(n_products) < 0.14] = 0
    # a second brand for a few branded products (a relabelled or mis-entered product)
    alt_brand = np.zeros(n_products, dtype=np.int32)
    return _finish(
        rng,
        product_id=product_id,
        category=category,
        price_cents=price_cents,
        brand=brand,
        alt_brand=alt_brand,
        cat_start=cat_start,
        cat_cdf=cat_cdf,
        product_cum=product_cum,
        category_id=category_id,
        codes=codes,
        names=names,
    )


def _finish(rng: np.random.Generator, *, names: list[str], codes: list[str], **arrays: np.ndarray) -> Catalogue:
    price_cents = arrays["price_cents"]
    purchasable = np.flatnonzero(price_cents > 0)
    by_price = purchasable[np.argsort(price_cents[purchasable], kind="stable")]
    price_str = pa.array([f"{c // 100}.{c % 100:02d}" for c in price_cents.tolist()], pa.string())
    category = arrays["category"]
    return Catalogue(
        product_id=arrays["product_id"],
        category=category,
        price_cents=price_cents,
        brand=arrays["brand"],
        alt_brand=arrays["alt_brand"],
        cat_start=arrays["cat_start"],
        cat_cdf=arrays["cat_cdf"],
        product_cum=arrays["product_cum"],
        category_id=arrays["category_id"],
        category_code=codes,
        brand_names=names,
        by_price=by_price,
        product_id_str=pa.compute.cast(pa.array(arrays["product_id"]), pa.string()),
        category_id_str=pa.compute.cast(pa.array(arrays["category_id"][category]), pa.string()),
        category_code_str=pa.array(codes, pa.string()).take(pa.array(category)),
        price_str=price_str,
        brand_str=pa.array(names, pa.string()),
    )


def add_second_brands(rng: np.random.Generator, cat: Catalogue, rate: float) -> int:
    """Give `rate` of the branded products a second brand from their category's brands; returns how many."""
    branded = np.flatnonzero(cat.brand > 0)
    n = int(round(len(branded) * rate))
    if n == 0:
        return 0
    chosen = np.sort(rng.choice(branded, n, replace=False))
    # another brand seen in the same category, else any other brand
    n_brands = len(cat.brand_names) - 1
    other = 1 + rng.integers(0, n_brands, n)
    neighbour = np.clip(chosen + rng.integers(-20, 21, n), 0, cat.n_products - 1)
    same_cat = (cat.category[neighbour] == cat.category[chosen]) & (cat.brand[neighbour] > 0)
    alt = np.where(same_cat, cat.brand[neighbour], other).astype(np.int32)
    clash = alt == cat.brand[chosen]
    alt[clash] = (cat.brand[chosen][clash] % n_brands) + 1  # the next brand in the list
    cat.alt_brand[chosen] = alt
    return n
