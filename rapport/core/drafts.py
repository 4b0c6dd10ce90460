"""Draft messages: an occasion's template in the client's language with the names, dates and
purchases filled in (DESIGN §3 step 7).

Pure functions, no Django. A template is plain text with ``{placeholder}`` names from
:data:`PLACEHOLDERS` and ``{{`` / ``}}`` for literal braces. A placeholder without a value
vanishes cleanly: the comma, dash or brackets around it go with it, so "Hello, {client_name}!"
becomes "Hello!" rather than "Hello, !". The built-in texts are short phone messages signed by the
consultant; the Russian ones address the client with «вы» and avoid verb forms that would need
the client's or the consultant's gender.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

LANGUAGES = ("ru", "en")
MAX_LENGTH = 1000
_SIGNATURE = "\n{consultant_name}, {store_name}"

PLACEHOLDERS: dict[str, str] = {
    "client_name": "the client's first name",
    "consultant_name": "the consultant's first name",
    "store_name": "the store's name",
    "relative_name": "the name of the person close to the client",
    "relation": "who that person is to the client (child, parent …), in a neutral form",
    "age": "the age they turn",
    "date": "the occasion's date, e.g. 14 May",
    "years": "how many years the anniversary marks",
    "items": "what the client bought",
    "holiday": "the holiday's name",
    "event_name": "the event's name",
    "preferences": "what the client likes (brands, categories, sizes …)",
}

HOLIDAY_NAMES: dict[str, dict[str, str]] = {
    "new_year": {"ru": "Новый год", "en": "New Year"},
    "womens_day": {"ru": "8 Марта", "en": "International Women's Day"},
    "defenders_day": {"ru": "День защитника Отечества", "en": "Defender of the Fatherland Day"},
    "valentines_day": {"ru": "День святого Валентина", "en": "Valentine's Day"},
    "mothers_day": {"ru": "День матери", "en": "Mother's Day"},
}

# Relations in a form that does not depend on the relative's gender.
RELATIONS: dict[str, dict[str, str]] = {
    "partner": {"ru": "вторая половинка", "en": "partner"},
    "spouse": {"ru": "вторая половинка", "en": "spouse"},
    "child": {"ru": "ребёнок", "en": "child"},
    "parent": {"ru": "родитель", "en": "parent"},
    "sibling": {"ru": "брат или сестра", "en": "brother or sister"},
    "grandchild": {"ru": "внук или внучка", "en": "grandchild"},
    "friend": {"ru": "близкий друг", "en": "close friend"},
    "other": {"ru": "близкий человек", "en": "someone close"},
}

MONTHS: dict[str, tuple[str, ...]] = {
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "thank_you": {
        "ru": "Здравствуйте, {client_name}! Спасибо, что выбрали нас ({items}). Если появятся "
        "вопросы по уходу или посадке, просто напишите мне." + _SIGNATURE,
        "en": "Hello {client_name}, thank you for choosing us ({items}). If any question about "
        "care or fit comes up, just write to me." + _SIGNATURE,
    },
    "feedback": {
        "ru": "Здравствуйте, {client_name}! Спасибо, что заглянули к нам {date}. Всё ли "
        "понравилось? Нам очень важно ваше мнение." + _SIGNATURE,
        "en": "Hello {client_name}, thank you for coming in on {date}. Was everything as you "
        "hoped? Your opinion really matters to us." + _SIGNATURE,
    },
    "care_tips": {
        "ru": "Здравствуйте, {client_name}! У меня есть пара советов по уходу за вашей покупкой "
        "({items}), чтобы она дольше оставалась как новая. Прислать?" + _SIGNATURE,
        "en": "Hello {client_name}, I have a couple of care tips for your purchase ({items}) to "
        "keep it looking new for longer. Shall I send them?" + _SIGNATURE,
    },
    "service_due": {
        "ru": "Здравствуйте, {client_name}! Напоминаю: {date} подходит срок сервисного "
        "обслуживания. Заходите в удобное для вас время, мы всё подготовим." + _SIGNATURE,
        "en": "Hello {client_name}, a gentle reminder: your service is due on {date}. Drop in "
        "whenever suits you and we will have everything ready." + _SIGNATURE,
    },
    "client_birthday": {
        "ru": "{client_name}, с днём рождения! Пусть этот год принесёт много радости и приятных "
        "поводов для праздника." + _SIGNATURE,
        "en": "Happy birthday, {client_name}! May this year bring you lots of joy and lovely "
        "reasons to celebrate." + _SIGNATURE,
    },
    "relative_birthday_gift": {
        "ru": "Здравствуйте, {client_name}! {date} {relative_name} празднует день рождения. Если "
        "хотите, подберу несколько идей для подарка и пришлю фото." + _SIGNATURE,
        "en": "Hello {client_name}, {relative_name} has a birthday on {date}. If you like, I can "
        "put together a few gift ideas and send you photos." + _SIGNATURE,
    },
    "relative_birthday_greeting": {
        "ru": "Здравствуйте, {client_name}! Сегодня {relative_name} празднует день рождения. "
        "Передайте, пожалуйста, наши самые тёплые поздравления!" + _SIGNATURE,
        "en": "Hello {client_name}, today is {relative_name}'s birthday. Please pass on our "
        "warmest wishes!" + _SIGNATURE,
    },
    "anniversary_gift": {
        "ru": "Здравствуйте, {client_name}! {date} у вас годовщина. Если думаете о подарке, с "
        "удовольствием подберу несколько вариантов." + _SIGNATURE,
        "en": "Hello {client_name}, your anniversary is coming up on {date}. If you are thinking "
        "about a gift, I would be glad to suggest a few ideas." + _SIGNATURE,
    },
    "purchase_anniversary": {
        "ru": "Здравствуйте, {client_name}! Ровно год назад вы сделали у нас покупку ({items}). "
        "Надеемся, она по-прежнему радует вас! Если нужна чистка или проверка, будем рады "
        "помочь." + _SIGNATURE,
        "en": "Hello {client_name}, it has been a year since your purchase ({items}). We hope it "
        "still brings you joy! If it needs a clean or a check, we are happy to help." + _SIGNATURE,
    },
    "holiday_greeting": {
        "ru": "Здравствуйте, {client_name}! Поздравляем вас с наступающим праздником — "
        "{holiday}! Желаем тепла, радости и прекрасного настроения." + _SIGNATURE,
        "en": "Hello {client_name}, warm wishes for {holiday}! May the days ahead bring you joy "
        "and a wonderful mood." + _SIGNATURE,
    },
    "holiday_gift_ideas": {
        "ru": "Здравствуйте, {client_name}! Скоро {holiday} ({date}). Если ищете подарки для "
        "близких, подберу несколько идей под ваш бюджет и пришлю фото." + _SIGNATURE,
        "en": "Hello {client_name}, {holiday} is coming up ({date}). If you are looking for gifts "
        "for someone close, I can pick a few ideas for your budget and send photos." + _SIGNATURE,
    },
    "new_arrivals": {
        "ru": "Здравствуйте, {client_name}! К нам пришли новинки, которые могут вам понравиться "
        "({preferences}). Прислать несколько фото?" + _SIGNATURE,
        "en": "Hello {client_name}, some new pieces have arrived that you might like "
        "({preferences}). Shall I send you a few photos?" + _SIGNATURE,
    },
    "complement": {
        "ru": "Здравствуйте, {client_name}! Появилась вещь, которая красиво дополнит вашу "
        "покупку ({items}). Прислать фото?" + _SIGNATURE,
        "en": "Hello {client_name}, something has arrived that would go beautifully with your "
        "purchase ({items}). Would you like a photo?" + _SIGNATURE,
    },
    "personal_checkin": {
        "ru": "Здравствуйте, {client_name}! Давно не общались — как у вас дела? Просто хотелось "
        "узнать, всё ли хорошо." + _SIGNATURE,
        "en": "Hello {client_name}, it has been a while — how are you? I just wanted to check "
        "that all is well." + _SIGNATURE,
    },
    "event_invitation": {
        "ru": "Здравствуйте, {client_name}! Приглашаем вас на «{event_name}» {date}. Будем рады "
        "видеть вас — напишите, пожалуйста, если получится прийти." + _SIGNATURE,
        "en": "Hello {client_name}, we would love to invite you to “{event_name}” on {date}. Let "
        "me know if you can make it — it would be lovely to see you." + _SIGNATURE,
    },
    "win_back": {
        "ru": "Здравствуйте, {client_name}! Давно вас не видели и немного соскучились. За это "
        "время появилось много нового — заходите, будем рады показать." + _SIGNATURE,
        "en": "Hello {client_name}, we have not seen you for a while and we miss you. Lots of new "
        "things have arrived since — drop in whenever you like." + _SIGNATURE,
    },
    "former_new_year": {
        "ru": "{client_name}, с наступающим Новым годом! Желаем вам счастья и исполнения "
        "желаний. Будем рады видеть вас снова." + _SIGNATURE,
        "en": "Happy New Year, {client_name}! Wishing you happiness and every wish come true. "
        "We would be glad to see you again." + _SIGNATURE,
    },
    "key_date": {
        "ru": "Здравствуйте, {client_name}! Помним, что {date} у вас важный день. Пусть он "
        "пройдёт прекрасно!" + _SIGNATURE,
        "en": "Hello {client_name}, we remember that {date} is an important day for you. Wishing "
        "you a wonderful day!" + _SIGNATURE,
    },
    "introduction": {
        "ru": "Здравствуйте, {client_name}! Меня зовут {consultant_name}, теперь я ваш "
        "консультант. С удовольствием помогу с выбором, уходом и любыми вопросами — пишите в "
        "любое время.\n{store_name}",
        "en": "Hello {client_name}, my name is {consultant_name} and I am your consultant from "
        "now on. I am happy to help with choosing, care or any question — write to me any "
        "time.\n{store_name}",
    },
    "manual": {
        "ru": "Здравствуйте, {client_name}!" + _SIGNATURE,
        "en": "Hello {client_name}!" + _SIGNATURE,
    },
}

# Where each occasion's date comes from in the planner's reason (the first key present wins).
_DATE_KEYS = ("date", "birthday", "event_date", "holiday_date", "visit_date", "purchase_date")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_GONE = "\x00"  # where a placeholder without a value was
_PUNCT = ",.!?;:)"


def language_of(language: str) -> str:
    """``ru`` or ``en`` from a language code such as ``ru-RU``; English for anything else."""
    code = (language or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def format_day(day: date, language: str) -> str:
    """A day and month in the message's language: «14 мая», "14 May"."""
    return f"{day.day} {MONTHS[language_of(language)][day.month - 1]}"


def join_list(values: Iterable[str], language: str, limit: int = 3) -> str:
    """Values as "a, b and c" (at most ``limit`` of them; more end in "and more")."""
    words = [" ".join(str(v).split()) for v in values]
    words = [w for w in words if w]
    ru = language_of(language) == "ru"
    more = len(words) > limit
    words = words[:limit]
    if more:
        return ", ".join(words) + (" и другое" if ru else " and more")
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + (" и " if ru else " and ") + words[-1]


def _clean(text: str) -> str:
    """Remove the marks left by placeholders without a value, with what only they needed."""
    gone = re.escape(_GONE)
    rules = (
        (rf"[(«“\"][ \t]*{gone}[ \t]*[)»”\"]", _GONE),  # empty brackets or quotes
        (rf"{gone}(?:[ \t]*[,;]?[ \t]*{gone})+", _GONE),  # neighbours without a value
        (rf"([.!?])[ \t]*{gone}[ \t]*[.!?]", "\\1"),  # a sentence that was only a gap
        # a gap that starts a sentence, with its separator: "{x}, happy birthday" → "Happy …"
        (rf"(^|[.!?][ \t]+)[ \t]*{gone}[ \t]*[,;:—–]?[ \t]*", "\\1\x01"),
        # a separator before a gap that ends a phrase: "Hello, {x}!" → "Hello!"
        (rf"[ \t]*[,;:—–]?[ \t]*{gone}[ \t]*(?=[{re.escape(_PUNCT)}]|$)", ""),
        (rf"[ \t]*{gone}[ \t]*", " "),  # a gap between two words
    )
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    text = re.sub(r"\x01(.)", lambda m: m.group(1).upper(), text).replace("\x01", "")
    text = re.sub(r"[,;:—–][ \t]*(?=[.!?])", "", text)  # ", !" left by a vanished tail
    text = re.sub(r"[ \t]{2,}", " ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill the ``{placeholder}``s; one without a value vanishes with its comma or brackets."""
    template = template.replace(_GONE, "").replace("\x01", "")
    vanished = False

    def fill(match: re.Match[str]) -> str:
        nonlocal vanished
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        if match.group(1) is None:  # a stray brace stays as written
            return token
        value = " ".join(str(values.get(match.group(1).strip(), "") or "").split())
        if value:
            return value.replace(_GONE, "").replace("\x01", "")
        vanished = True
        return _GONE

    text = _TOKEN.sub(fill, template)
    return _clean(text) if vanished else text.strip()


def template_problems(template: str) -> list[tuple[str, dict[str, Any]]]:
    """What is wrong with a template, as ``(code, values)`` for the caller to phrase: ``empty``,
    ``too_long`` (length, limit), ``unclosed``, ``unopened``, ``unknown`` (name, names)."""
    if not template.strip():
        return [("empty", {})]
    problems: list[tuple[str, dict[str, Any]]] = []
    if len(template) > MAX_LENGTH:
        problems.append(("too_long", {"length": len(template), "limit": MAX_LENGTH}))
    unknown: list[str] = []
    for match in _TOKEN.finditer(template):
        token, name = match.group(0), match.group(1)
        if token == "{":
            problems.append(("unclosed", {}))
        elif token == "}":
            problems.append(("unopened", {}))
        elif name is not None and name.strip() not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    names = ", ".join(PLACEHOLDERS)
    problems += [("unknown", {"name": name, "names": names}) for name in unknown]
    found: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for code, values in problems:
        found.setdefault((code, str(sorted(values.items()))), (code, values))
    return list(found.values())


ENGLISH_PROBLEMS = {
    "empty": "The message is empty.",
    "too_long": "The message is too long: {length} characters, at most {limit}.",
    "unclosed": "A “{{” has no matching “}}” (write {{{{ for a brace).",
    "unopened": "A “}}” has no matching “{{” (write }}}} for a brace).",
    "unknown": "Unknown placeholder {{{name}}}: use one of {names}.",
}


def template_errors(template: str) -> list[str]:
    """What is wrong with a template, in English (the pages phrase the problems themselves)."""
    return [ENGLISH_PROBLEMS[code].format(**values) for code, values in template_problems(template)]


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _iso_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def draft_values(
    *,
    occasion: str,
    reason: Mapping[str, Any],
    language: str,
    client_name: str,
    consultant_name: str,
    store_name: str,
) -> dict[str, str]:
    """The placeholder values for one touchpoint, from the planner's reason, in the language."""
    lang = language_of(language)
    values = {
        "client_name": _text(client_name),
        "consultant_name": _text(consultant_name),
        "store_name": _text(store_name),
        "relative_name": _text(reason.get("relative_name")),
        "age": _text(reason.get("age")),
        "years": _text(reason.get("years")) if reason.get("years") else "",
        "event_name": _text(reason.get("event_name")),
    }
    relation = RELATIONS.get(str(reason.get("relation") or ""))
    values["relation"] = relation[lang] if relation else ""
    holiday_key = "new_year" if occasion == "former_new_year" else reason.get("holiday")
    holiday = HOLIDAY_NAMES.get(str(holiday_key or ""))
    values["holiday"] = holiday[lang] if holiday else ""
    day = next((d for d in (_iso_day(reason[k]) for k in _DATE_KEYS if k in reason) if d), None)
    values["date"] = format_day(day, lang) if day else ""
    items, prefs = reason.get("items") or (), reason.get("preferences") or ()
    values["items"] = join_list([items] if isinstance(items, str) else items, lang)
    values["preferences"] = join_list([prefs] if isinstance(prefs, str) else prefs, lang)
    return values


def default_template(occasion: str, language: str) -> str:
    """The built-in text for an occasion (the plain greeting for an unknown one)."""
    texts = DEFAULT_TEMPLATES.get(occasion) or DEFAULT_TEMPLATES["manual"]
    return texts[language_of(language)]


def draft_for(
    *,
    template: str,
    occasion: str,
    reason: Mapping[str, Any],
    language: str,
    client_name: str,
    consultant_name: str,
    store_name: str,
) -> str:
    """The draft message: ``template`` (or the built-in one when blank) with the values filled."""
    values = draft_values(
        occasion=occasion,
        reason=reason,
        language=language,
        client_name=client_name,
        consultant_name=consultant_name,
        store_name=store_name,
    )
    return render(template if template.strip() else default_template(occasion, language), values)
