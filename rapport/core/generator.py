"""A seeded generator of realistic Russian clienteling data for the demo, tests and benchmarks.

Pure Python, no Django: it yields plain dataclasses. The same seed gives the same data, and a
client's card (names, phone, relatives, preferences …) does not depend on ``with_history``: the
purchase history is drawn from a second random stream, so
``generate_clients(n, with_history=False)`` gives the same people as ``with_history=True``,
only without their receipts and visits.

- ``product_catalogue(seed)`` — the articles of a premium jewellery and accessories boutique.
- ``generate_clients(n, seed=…, today=…, with_history=…)`` — ``n`` clients, lazily.

Phones are valid Russian mobiles in E.164 and unique per client (up to 10 million per operator
code), built from an affine permutation of the client's index, so uniqueness needs no memory.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

MSK = timezone(timedelta(hours=3), "MSK")

# --- names ------------------------------------------------------------------------------------

FEMALE_NAMES = (
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Екатерина", "Татьяна", "Ирина", "Светлана",
    "Юлия", "Анастасия", "Дарья", "Ксения", "Виктория", "Алина", "Полина", "Марина", "Валерия",
    "Евгения", "Александра", "Людмила", "Галина", "Вера", "Надежда", "Кристина", "Софья",
    "Алёна", "Яна", "Вероника", "Маргарита", "Елизавета", "Диана", "Арина", "Милена", "Ульяна",
    "Василиса", "Жанна", "Лариса", "Инна", "Оксана",
)  # fmt: skip
# (name, masculine patronymic, feminine patronymic)
MALE_NAMES = (
    ("Александр", "Александрович", "Александровна"), ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Максим", "Максимович", "Максимовна"), ("Сергей", "Сергеевич", "Сергеевна"),
    ("Андрей", "Андреевич", "Андреевна"), ("Алексей", "Алексеевич", "Алексеевна"),
    ("Артём", "Артёмович", "Артёмовна"), ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"), ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"), ("Матвей", "Матвеевич", "Матвеевна"),
    ("Роман", "Романович", "Романовна"), ("Егор", "Егорович", "Егоровна"),
    ("Иван", "Иванович", "Ивановна"), ("Владимир", "Владимирович", "Владимировна"),
    ("Павел", "Павлович", "Павловна"), ("Николай", "Николаевич", "Николаевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"), ("Константин", "Константинович", "Константиновна"),
    ("Игорь", "Игоревич", "Игоревна"), ("Олег", "Олегович", "Олеговна"),
    ("Юрий", "Юрьевич", "Юрьевна"), ("Виктор", "Викторович", "Викторовна"),
    ("Григорий", "Григорьевич", "Григорьевна"), ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Тимур", "Тимурович", "Тимуровна"), ("Вадим", "Вадимович", "Вадимовна"),
    ("Станислав", "Станиславович", "Станиславовна"), ("Георгий", "Георгиевич", "Георгиевна"),
)  # fmt: skip
SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
    "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов",
    "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв",
    "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов",
    "Пономарёв", "Голубев", "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв",
    "Овчинников", "Трофимов", "Леонов", "Соболев", "Ермаков", "Колесников", "Гончаров",
    "Емельянов", "Никифоров", "Грачёв", "Котов", "Гришин", "Ефремов", "Архипов", "Громов",
    "Кириллов", "Малышев", "Панов", "Моисеев", "Румянцев", "Акимов", "Кондратьев", "Бирюков",
    "Горбунов", "Анисимов", "Еремин", "Тихомиров", "Галкин", "Лукьянов", "Михеев", "Скворцов",
    "Юдин", "Белоусов", "Нестеров", "Симонов", "Прокофьев", "Харитонов", "Князев", "Цветков",
    "Левин", "Митрофанов", "Воронцов", "Аксёнов", "Софронов", "Мальцев", "Логинов", "Горшков",
    "Савин", "Краснов", "Майоров", "Демидов", "Елисеев", "Рыбаков", "Сафонов", "Плотников",
    "Заболоцкий", "Вишневский", "Ковальский", "Островский", "Жуковский", "Покровский",
    "Раевский", "Трубецкой", "Толстой", "Шевчук", "Бондаренко", "Коваленко", "Ткаченко",
    "Кравченко", "Черных", "Белых", "Седых", "Долгих", "Мороз", "Гайдай", "Лысенко",
)  # fmt: skip
EN_FEMALE = (
    "Emily",
    "Olivia",
    "Sophie",
    "Charlotte",
    "Emma",
    "Grace",
    "Lucy",
    "Hannah",
    "Claire",
    "Julia",
)
EN_MALE = (
    "James",
    "Oliver",
    "William",
    "Thomas",
    "Daniel",
    "Henry",
    "Michael",
    "David",
    "Peter",
    "Mark",
)
EN_SURNAMES = (
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Clarke", "Walker", "Wright", "Green",
    "Hall", "Wood", "Harris", "Martin", "Cooper", "Hughes", "Evans", "Turner", "Baker",
)  # fmt: skip


def feminine_surname(surname: str) -> str:
    """The feminine form of a Russian surname: Иванов → Иванова, Вишневский → Вишневская."""
    for ending, replacement in (("ский", "ская"), ("цкий", "цкая"), ("ой", "ая")):
        if surname.endswith(ending):
            return surname[: -len(ending)] + replacement
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname  # Шевчук, Бондаренко, Черных: the same for everyone


_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip


@functools.lru_cache(maxsize=8192)
def transliterate(text: str) -> str:
    """A name in Latin letters the way people spell it in e-mail addresses (lower case)."""
    return "".join(_TRANSLIT.get(char, char) for char in text.lower())


# --- phones, e-mail ---------------------------------------------------------------------------

# Mobile operator codes common in Moscow and St Petersburg (all are valid +79xx ranges).
MOBILE_CODES = (
    "903", "905", "906", "909", "910", "911", "912", "915", "916", "917", "919", "921", "925",
    "926", "929", "931", "950", "951", "952", "953", "960", "962", "964", "965", "967", "968",
    "977", "978", "981", "985", "999",
)  # fmt: skip
_SUBSCRIBERS = 10_000_000
EMAIL_PROVIDERS = (("mail.ru", 30), ("yandex.ru", 30), ("gmail.com", 25), ("bk.ru", 6),
                   ("list.ru", 4), ("icloud.com", 5))  # fmt: skip
_PROVIDER_POOL = tuple(name for name, weight in EMAIL_PROVIDERS for _ in range(weight))


@functools.cache
def _phone_permutation(seed: int) -> tuple[int, int]:
    rng = random.Random(seed * 7919 + 17)
    multiplier = rng.randrange(1_000_001, 9_999_999, 2)
    while multiplier % 5 == 0:  # coprime with 10**7, so the map is a permutation
        multiplier += 2
    return multiplier, rng.randrange(_SUBSCRIBERS)


def phone_for(index: int, seed: int) -> str:
    """A valid, unique Russian mobile in E.164 for the client with this index."""
    multiplier, offset = _phone_permutation(seed)
    codes = len(MOBILE_CODES)
    subscriber = (multiplier * (index // codes) + offset) % _SUBSCRIBERS
    return f"+7{MOBILE_CODES[index % codes]}{subscriber:07d}"


# --- catalogue --------------------------------------------------------------------------------

BRANDS = (
    ("Aurelia", "AUR"), ("Северное сияние", "SEV"), ("Maison Ravel", "MRV"), ("Орловъ", "ORL"),
    ("Lumière", "LUM"), ("Vesna", "VES"), ("Castellani", "CAS"), ("Ателье Гранат", "GRN"),
    ("Nordlys", "NRD"), ("Petit Prince", "PTP"),
)  # fmt: skip
# category: (singular for names, code, price range in RUB, materials, needs size)
CATEGORIES: dict[str, tuple[str, str, tuple[int, int], tuple[str, ...]]] = {
    "Кольца": (
        "Кольцо",
        "RNG",
        (18_000, 450_000),
        ("белое золото", "жёлтое золото", "розовое золото", "платина", "серебро"),
    ),
    "Серьги": (
        "Серьги",
        "EAR",
        (15_000, 380_000),
        ("белое золото", "жёлтое золото", "розовое золото", "серебро"),
    ),
    "Подвески": (
        "Подвеска",
        "PND",
        (9_000, 160_000),
        ("белое золото", "жёлтое золото", "розовое золото", "серебро"),
    ),
    "Колье": ("Колье", "NCK", (45_000, 900_000), ("белое золото", "жёлтое золото", "платина")),
    "Браслеты": (
        "Браслет",
        "BRC",
        (12_000, 320_000),
        ("белое золото", "жёлтое золото", "серебро", "кожа"),
    ),
    "Часы": (
        "Часы",
        "WCH",
        (85_000, 1_200_000),
        ("сталь", "жёлтое золото", "розовое золото", "титан"),
    ),
    "Запонки": ("Запонки", "CUF", (14_000, 120_000), ("серебро", "белое золото", "сталь")),
    "Сумки": ("Сумка", "BAG", (55_000, 420_000), ("кожа", "замша", "крокодиловая кожа")),
    "Кошельки": ("Кошелёк", "WAL", (12_000, 65_000), ("кожа", "замша")),
    "Ремни": ("Ремень", "BLT", (9_000, 48_000), ("кожа",)),
    "Платки": ("Платок", "SCF", (11_000, 52_000), ("шёлк", "кашемир")),
}
COLLECTIONS = (
    "Лёд", "Рассвет", "Нева", "Капля", "Орбита", "Ландыш", "Волна", "Звезда", "Классика",
    "Вуаль", "Аврора", "Север", "Бархат", "Лилия", "Иней", "Грани", "Comète", "Luna", "Étoile",
    "Solo", "Duo", "Trinity", "Silk", "Ivy",
)  # fmt: skip
STONES = ("бриллианты", "сапфиры", "изумруды", "рубины", "жемчуг", "топазы", "аметисты", "")
COLOURS = (
    "белый",
    "жёлтый",
    "розовый",
    "чёрный",
    "синий",
    "зелёный",
    "бордовый",
    "бежевый",
    "серый",
)


@dataclass(frozen=True, slots=True)
class GenProduct:
    """An article of the catalogue; ``price`` in whole roubles."""

    sku: str
    name: str
    brand: str
    category: str
    material: str
    colour: str
    price: int


def product_catalogue(seed: int = 1, size: int = 300) -> list[GenProduct]:
    """The boutique's articles: rings, earrings, watches, bags … with SKUs and prices in RUB."""
    rng = random.Random(f"catalogue-{seed}")
    categories = list(CATEGORIES)
    weights = [9, 8, 6, 3, 5, 3, 2, 3, 2, 2, 2]
    products: list[GenProduct] = []
    seen: set[str] = set()
    number = 0
    while len(products) < size:
        number += 1
        category = rng.choices(categories, weights)[0]
        singular, code, (low, high), materials = CATEGORIES[category]
        brand, brand_code = rng.choice(BRANDS)
        material = rng.choice(materials)
        collection = rng.choice(COLLECTIONS)
        stone = rng.choice(STONES) if code in {"RNG", "EAR", "PND", "NCK", "BRC"} else ""
        name = f"{singular} «{collection}», {material}" + (f", {stone}" if stone else "")
        if name in seen:
            continue
        seen.add(name)
        # Log-uniform prices, rounded the way boutiques round them.
        price = math.exp(rng.uniform(math.log(low), math.log(high)))
        price = int(round(price / 500.0) * 500) - (10 if rng.random() < 0.3 else 0)
        colour = {"белое золото": "белый", "платина": "белый", "серебро": "белый",
                  "жёлтое золото": "жёлтый", "розовое золото": "розовый"}.get(
            material, rng.choice(COLOURS)
        )  # fmt: skip
        sku = f"{brand_code}-{code}-{number:04d}"
        products.append(GenProduct(sku, name, brand, category, material, colour, price))
    return products


# --- clients ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GenContact:
    """A phone (E.164), an e-mail or a Telegram user name."""

    kind: str  # "phone", "email", "telegram"
    value: str
    is_primary: bool


@dataclass(frozen=True, slots=True)
class GenConsent:
    channel: str  # whatsapp, telegram, sms, call, email
    status: str  # granted, withdrawn
    source: str  # form, verbal, web, message, import
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class GenPreference:
    kind: str  # size, brand, category, style, colour, material, budget, dislike
    value: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class GenRelative:
    name: str
    relation: str  # partner, spouse, child, parent
    gender: str
    birthday: date | None
    greet_directly: bool = False


@dataclass(frozen=True, slots=True)
class GenKeyDate:
    kind: str  # anniversary, wedding, service_due, custom
    date: date
    recurrence: str  # yearly, once
    label: str = ""
    relative: int | None = None  # index into GenClient.relatives


@dataclass(frozen=True, slots=True)
class GenLine:
    sku: str
    description: str
    quantity: int
    unit_price: int  # roubles
    discount: int = 0  # roubles, for the whole line

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True, slots=True)
class GenPurchase:
    at: datetime
    lines: tuple[GenLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)


@dataclass(frozen=True, slots=True)
class GenVisit:
    at: datetime
    purpose: str  # browsing, fitting, service, consultation
    looked_at: str = ""


@dataclass(slots=True)
class GenClient:
    """One generated client card with (optionally) their history, oldest first."""

    index: int
    first_name: str
    last_name: str
    middle_name: str
    gender: str  # "f" or "m"
    birthday: date | None
    language: str  # "ru" or "en"
    preferred_channel: str
    created_at: datetime
    contacts: list[GenContact]
    consents: list[GenConsent]
    preferences: list[GenPreference]
    relatives: list[GenRelative]
    key_dates: list[GenKeyDate]
    # History (empty when generated with ``with_history=False``).
    rhythm_days: float = 0.0  # the client's mean interval between purchases
    lapsed_at: date | None = None  # the day they stopped buying, if they did
    purchases: list[GenPurchase] = field(default_factory=list)
    visits: list[GenVisit] = field(default_factory=list)

    @property
    def phone(self) -> str:
        return self.contacts[0].value

    def contact(self, kind: str) -> str:
        """The client's address of this kind, or ''."""
        for contact in self.contacts:
            if contact.kind == kind:
                return contact.value
        return ""


_RING_SIZES_F = ("15", "15.5", "16", "16.5", "17", "17.5", "18")
_RING_SIZES_M = ("18.5", "19", "19.5", "20", "20.5", "21", "22")
_CLOTHES_F = ("40", "42", "44", "46", "48", "50")
_CLOTHES_M = ("46", "48", "50", "52", "54", "56")
_STYLES = ("классика", "минимализм", "винтаж", "статементные украшения", "повседневный", "вечерний")
_MATERIAL_PREFS = ("белое золото", "жёлтое золото", "розовое золото", "платина", "серебро", "кожа")
_BUDGETS = ("до 30 000 ₽", "30–70 тыс. ₽", "70–150 тыс. ₽", "150–300 тыс. ₽", "от 300 тыс. ₽")
_DISLIKES = ("жёлтое золото", "крупные камни", "громкие логотипы", "серебро", "яркие цвета",
             "длинные серьги", "тяжёлые цепи", "жемчуг")  # fmt: skip
_LOOKED_AT_EXTRA = ("примеряли", "просили отложить", "сравнивали", "понравилось",
                    "спрашивали цену", "ждут размер")  # fmt: skip
_VISIT_PURPOSES = (("browsing", 50), ("fitting", 25), ("consultation", 15), ("service", 10))
_CHANNELS_BY_KIND = {
    "phone": ("whatsapp", "sms", "call"),
    "telegram": ("telegram",),
    "email": ("email",),
}
_CONSENT_SOURCES = ("form", "form", "form", "verbal", "web", "message")
_HOURS = (10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)


def _at(day: date, rng: random.Random) -> datetime:
    """A moment during opening hours on that day, Moscow time."""
    r = rng.random
    return datetime(day.year, day.month, day.day, 10 + int(r() * 11), int(r() * 60), tzinfo=MSK)


def _email(first: str, last: str, index: int, rng: random.Random) -> str:
    f, la = transliterate(first), transliterate(last)
    pattern = rng.random()
    if pattern < 0.4:
        local = f"{f}.{la}{index}"
    elif pattern < 0.7:
        local = f"{f[0]}.{la}{index}"
    else:
        local = f"{la}_{f}{index}"
    provider = _PROVIDER_POOL[int(rng.random() * len(_PROVIDER_POOL))]
    return f"{local}@{provider}"


def generate_clients(
    n: int,
    *,
    seed: int = 1,
    today: date | None = None,
    with_history: bool = True,
    years: int = 3,
    catalogue: list[GenProduct] | None = None,
) -> Iterator[GenClient]:
    """``n`` clients, deterministic for ``seed`` and ``today``; history covers ``years`` years.

    Cards were created over the ``years`` before ``today`` (earlier cards more often: the book
    grows). With history, every client gets a rhythm (mean interval 3–20 weeks, gamma spread);
    a quarter of the buying clients lapse at some point, about a fifth bought once, about one in
    twelve never bought (a visit only). Every date is strictly before ``today``.
    """
    if today is None:
        today = date.today()
    if with_history and catalogue is None:
        catalogue = product_catalogue(seed)
    rng = random.Random(seed)
    history_rng = random.Random(seed * 1_000_003 + 7)
    span = years * 365
    r = rng.random

    def choice(seq):  # type: ignore[no-untyped-def]  # 5× faster than Random.choice
        return seq[int(r() * len(seq))]

    def randrange(low: int, high: int | None = None) -> int:
        if high is None:
            return int(r() * low)
        return low + int(r() * (high - low))

    n_f, n_m, n_s = len(FEMALE_NAMES), len(MALE_NAMES), len(SURNAMES)
    for index in range(n):
        is_female = r() < 0.72
        english = r() < 0.07
        if english and r() < 0.5:
            first = choice(EN_FEMALE) if is_female else choice(EN_MALE)
            last = choice(EN_SURNAMES)
            middle = ""
        else:
            surname = SURNAMES[randrange(n_s)]
            father = MALE_NAMES[randrange(n_m)]
            if is_female:
                first = FEMALE_NAMES[randrange(n_f)]
                last = feminine_surname(surname)
                middle = father[2] if r() < 0.8 else ""
            else:
                first = MALE_NAMES[randrange(n_m)][0]
                last = surname
                middle = father[1] if r() < 0.8 else ""
        gender = "f" if is_female else "m"
        age = 22 + int(r() * r() * 50)  # most clients 25–50, a tail to 70
        birthday = None
        if r() < 0.9:
            birthday = date(today.year - age, 1, 1) + timedelta(days=randrange(365))
        # Older cards more likely: sqrt spreads creation towards the past.
        created_day = today - timedelta(days=1 + int(span * (r() ** 0.7)))
        created_at = _at(created_day, rng)

        phone = phone_for(index, seed)
        contacts = [GenContact("phone", phone, True)]
        if r() < 0.4:
            contacts.append(GenContact("email", _email(first, last, index, rng), True))
        if r() < 0.25:
            handle = f"{transliterate(first)}_{transliterate(last)}{index % 1000}"[:32]
            contacts.append(GenContact("telegram", handle, True))
        consents: list[GenConsent] = []
        granted: list[str] = []
        for contact in contacts:
            for channel in _CHANNELS_BY_KIND[contact.kind]:
                roll = r()
                if roll < 0.84:
                    status = "granted"
                    granted.append(channel)
                elif roll < 0.92:
                    status = "withdrawn"
                else:
                    continue
                consents.append(GenConsent(channel, status, choice(_CONSENT_SOURCES), created_at))
        preferred = ""
        if granted:
            preferred = "whatsapp" if "whatsapp" in granted and r() < 0.5 else choice(granted)

        preferences: list[GenPreference] = []
        if r() < 0.6:
            preferences.append(
                GenPreference(
                    "size", choice(_RING_SIZES_F if is_female else _RING_SIZES_M), "кольцо"
                )
            )
        if r() < 0.3:
            preferences.append(
                GenPreference("size", choice(_CLOTHES_F if is_female else _CLOTHES_M), "одежда")
            )
        if r() < 0.55:
            preferences.append(GenPreference("brand", choice(BRANDS)[0]))
        if r() < 0.5:
            preferences.append(
                GenPreference(
                    "category",
                    choice(("Кольца", "Серьги", "Подвески", "Браслеты", "Часы", "Сумки")),
                )
            )
        if r() < 0.3:
            preferences.append(GenPreference("style", choice(_STYLES)))
        if r() < 0.35:
            preferences.append(GenPreference("colour", choice(COLOURS)))
        if r() < 0.45:
            preferences.append(GenPreference("material", choice(_MATERIAL_PREFS)))
        if r() < 0.3:
            preferences.append(GenPreference("budget", choice(_BUDGETS)))
        if r() < 0.2:
            preferences.append(GenPreference("dislike", choice(_DISLIKES)))

        relatives: list[GenRelative] = []
        key_dates: list[GenKeyDate] = []
        if age >= 24 and r() < 0.6:
            married = r() < 0.65
            if is_female:
                partner = (MALE_NAMES[randrange(n_m)][0], "m")
            else:
                partner = (FEMALE_NAMES[randrange(n_f)], "f")
            p_age = max(20, age + randrange(-6, 7))
            p_birthday = (
                date(today.year - p_age, 1, 1) + timedelta(days=randrange(365))
                if r() < 0.85
                else None
            )
            relatives.append(
                GenRelative(
                    partner[0],
                    "spouse" if married else "partner",
                    partner[1],
                    p_birthday,
                    r() < 0.2,
                )
            )
            years_together = 1 + randrange(max(1, min(age - 22, 30)))
            together = date(today.year - years_together, 1, 1) + timedelta(days=randrange(365))
            if r() < 0.6:
                if married:
                    key_dates.append(
                        GenKeyDate("wedding", together, "yearly", "Годовщина свадьбы", 0)
                    )
                else:
                    key_dates.append(
                        GenKeyDate("anniversary", together, "yearly", "Годовщина знакомства", 0)
                    )
        if age >= 27 and r() < 0.5:
            for _ in range(1 + (r() < 0.45) + (r() < 0.12)):
                child_female = r() < 0.5
                child_name = (
                    FEMALE_NAMES[randrange(n_f)] if child_female else MALE_NAMES[randrange(n_m)][0]
                )
                child_age = randrange(0, max(1, min(age - 20, 40)))
                child_birthday = date(today.year - child_age, 1, 1) + timedelta(days=randrange(365))
                if child_birthday >= today:
                    child_birthday = today - timedelta(days=1 + randrange(300))
                relatives.append(
                    GenRelative(
                        child_name, "child", "f" if child_female else "m", child_birthday, r() < 0.4
                    )
                )
        if r() < 0.15:
            mother = r() < 0.7
            parent_age = age + 22 + randrange(12)
            parent_birthday = date(today.year - parent_age, 1, 1) + timedelta(days=randrange(365))
            parent_name = FEMALE_NAMES[randrange(n_f)] if mother else MALE_NAMES[randrange(n_m)][0]
            relatives.append(
                GenRelative(parent_name, "parent", "f" if mother else "m", parent_birthday)
            )
        if r() < 0.12:
            due = today + timedelta(days=1 + randrange(300))
            key_dates.append(
                GenKeyDate(
                    "service_due",
                    due,
                    "once",
                    choice(
                        (
                            "Бесплатная чистка",
                            "Проверка закрепки камней",
                            "Замена батарейки в часах",
                        )
                    ),
                )
            )

        client = GenClient(
            index=index,
            first_name=first,
            last_name=last,
            middle_name=middle,
            gender=gender,
            birthday=birthday,
            language="en" if english else "ru",
            preferred_channel=preferred,
            created_at=created_at,
            contacts=contacts,
            consents=consents,
            preferences=preferences,
            relatives=relatives,
            key_dates=key_dates,
        )
        if with_history:
            assert catalogue is not None
            _history(client, created_day, today, catalogue, history_rng)
        yield client


def _history(
    client: GenClient, first_day: date, today: date, catalogue: list[GenProduct], rng: random.Random
) -> None:
    """Purchases and visits from the client's own rhythm, oldest first, all before ``today``."""
    r = rng.random
    mean_days = 7 * (3 + 17 * r() ** 1.4)  # 3–20 weeks, shorter rhythms more common
    shape = 1.5 + 6 * r()  # regularity: 1.5 erratic … 7.5 clockwork
    client.rhythm_days = round(mean_days, 1)
    kind = r()
    days_known = (today - first_day).days
    favourite_brand = next((p.value for p in client.preferences if p.kind == "brand"), "")
    favourites = [p for p in catalogue if p.brand == favourite_brand] or catalogue
    if kind < 0.08:
        purchase_days: list[date] = []  # came, looked, never bought (yet)
    elif kind < 0.28:
        purchase_days = [first_day]  # one purchase, no rhythm yet
    else:
        stop = today
        if kind > 0.75 and days_known > 120:  # lapsed: stopped buying at some point
            stop = first_day + timedelta(days=int(days_known * (0.2 + 0.6 * r())))
            client.lapsed_at = stop
        purchase_days = [first_day]
        day = first_day
        while True:
            day = day + timedelta(days=max(1, round(rng.gammavariate(shape, mean_days / shape))))
            if day >= stop:
                break
            purchase_days.append(day)
    for day in purchase_days:
        lines = []
        for _ in range(rng.choices((1, 2, 3), (70, 22, 8))[0]):
            product = rng.choice(favourites if r() < 0.5 else catalogue)
            quantity = 2 if r() < 0.04 else 1
            discount = 0
            if r() < 0.12:
                discount = (
                    int(product.price * quantity * rng.choice((0.05, 0.1, 0.15, 0.2)) / 100) * 100
                )
            lines.append(GenLine(product.sku, product.name, quantity, product.price, discount))
        client.purchases.append(GenPurchase(_at(day, rng), tuple(lines)))
    visits = int(len(purchase_days) * 0.3 + (1 if not purchase_days else 0) + (r() < 0.5))
    for _ in range(visits):
        day = first_day + timedelta(days=rng.randrange(max(1, days_known)))
        product = rng.choice(favourites)
        purpose = rng.choices([p for p, _ in _VISIT_PURPOSES], [w for _, w in _VISIT_PURPOSES])[0]
        looked_at = (
            f"{rng.choice(_LOOKED_AT_EXTRA)}: {product.name}" if purpose != "service" else ""
        )
        client.visits.append(GenVisit(_at(day, rng), purpose, looked_at))
    client.visits.sort(key=lambda visit: visit.at)
