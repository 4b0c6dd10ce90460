"""Which full first names a first name may stand for: Саша is Александр or Александра.

Pure data and two functions, no Django. People give a shop the name they go by (Катя, Sasha,
Alex), the spelling of their passport (Iuliia, Aleksandr) or the English name they use abroad
(Catherine, Michael); the duplicate matcher needs to know these are one name.

The table holds **groups**: one canonical full name, its gender and the forms that stand for it —
diminutives and short forms in Cyrillic, Latin spellings that ``name_skeleton`` does not already
fold (it folds Yulia/Julia/Iuliia, Aleksandr/Alexandr, Natalya/Natalia …: those need no entry),
and English equivalents where Russians really use them (Екатерина ↔ Catherine/Kate,
Мария ↔ Mary, Михаил ↔ Michael, Елизавета ↔ Elizabeth). A translation nobody goes by
(Иван ↔ John) is not an equivalent. English-only names (William: Bill, Will …) have groups of
their own.

A form may belong to several groups (Саша → Александр and Александра; Alex → Александр,
Александра and Алексей; Слава → Вячеслав, Станислав, Владислав, Ярослав …): its keys are all of
them, and ``name_gender`` says "" for it.

- ``first_name_keys(name)`` — the ``name_skeleton``s of every canonical name it may stand for;
  an unknown name is its own key.
- ``name_gender(name)`` — "f", "m" or "" (unknown or used by both).
- ``is_known(name)`` — whether the table knows the name.
- ``diminutives(name)`` — the forms of a canonical name (for generators and tests).
"""

from __future__ import annotations

import functools

from rapport.core.normalize import name_skeleton

# (gender, canonical name, forms separated by spaces). Keep each group to the forms people
# actually go by; a wrong form costs precision (two different people look alike).
_GROUPS: tuple[tuple[str, str, str], ...] = (
    # --- Russian, male ------------------------------------------------------------------------
    ("m", "Александр", "Саша Саня Шура Шурик Санёк Алекс Alexander Alex Alec Sasha Sanya Shura"),
    ("m", "Алексей", "Алёша Лёша Лёха Алекс Alexis Alex Alyosha Lyosha Lesha"),
    ("m", "Анатолий", "Толя Толик Tolya Tolik"),
    ("m", "Андрей", "Андрюша Андрюха Andrew Andy Andrey Andrei"),
    ("m", "Антон", "Антоша Тоша Тоха Tosha Anthony Tony"),
    ("m", "Аркадий", "Аркаша Arkasha"),
    ("m", "Арсений", "Арсик Сеня Senya Arseny"),
    ("m", "Артём", "Тёма Артёмка Tyoma Tema Artyom Artem"),
    ("m", "Артур", "Артурчик Arthur"),
    ("m", "Богдан", "Бодя Даня"),
    ("m", "Борис", "Боря Borya Boris"),
    ("m", "Вадим", "Вадик Вадя Vadik"),
    ("m", "Валентин", "Валя Валик Valya Valentine"),
    ("m", "Валерий", "Валера Valera Valery Valeriy"),
    ("m", "Василий", "Вася Васёк Vasya Vasily Vasiliy"),
    ("m", "Виктор", "Витя Витёк Vitya Victor"),
    ("m", "Виталий", "Виталик Витя Vitalik Vitaly"),
    ("m", "Владимир", "Вова Володя Вовчик Вован Vova Volodya Vladimir"),
    ("m", "Владислав", "Влад Слава Владик Vlad Slava"),
    ("m", "Всеволод", "Сева Seva"),
    ("m", "Вячеслав", "Слава Славик Slava Slavik Vyacheslav Viacheslav"),
    ("m", "Геннадий", "Гена Gena Gennady"),
    ("m", "Георгий", "Гоша Жора Гога Gosha Zhora George Georgy"),
    ("m", "Герман", "Гера Gera Herman"),
    ("m", "Глеб", "Глебушка Gleb"),
    ("m", "Григорий", "Гриша Grisha Grigory Gregory Greg"),
    ("m", "Давид", "Дава Dave David"),
    ("m", "Даниил", "Даня Данила Данил Daniel Danil Danila Danny Dan Danya"),
    ("m", "Денис", "Дениска Ден Den Denis Dennis"),
    ("m", "Дмитрий", "Дима Митя Димон Dima Mitya Dmitry Dmitri Dimitri"),
    ("m", "Евгений", "Женя Жека Zhenya Zheka Eugene Evgeny Yevgeny Evgenii"),
    ("m", "Егор", "Егорка Гоша Egor Yegor"),
    ("m", "Захар", "Захарка Zakhar Zahar"),
    ("m", "Иван", "Ваня Ванька Vanya Ivan"),
    ("m", "Игорь", "Игорёк Гарик Igor"),
    ("m", "Илья", "Илюша Илюха Ilyusha Ilya Ilia"),
    ("m", "Кирилл", "Киря Кирюша Kirill Kiryusha Cyril"),
    ("m", "Константин", "Костя Kostya Konstantin Constantine"),
    ("m", "Лев", "Лёва Lyova Leo Lev"),
    ("m", "Леонид", "Лёня Lyonya Lenya Leonid"),
    ("m", "Макар", "Макарка Makar"),
    ("m", "Максим", "Макс Максик Max Maxim Maksim"),
    ("m", "Марк", "Марик Mark Marc"),
    ("m", "Матвей", "Мотя Матвейка Motya Matvey Matthew"),
    ("m", "Михаил", "Миша Мишаня Misha Mikhail Michael Mike"),
    ("m", "Никита", "Никитка Ника Nikita"),
    ("m", "Николай", "Коля Колян Kolya Nikolai Nikolay Nicholas Nicolas Nick"),
    ("m", "Олег", "Олежка Oleg"),
    ("m", "Павел", "Паша Павлик Pasha Pavel Paul"),
    ("m", "Пётр", "Петя Петька Petya Pyotr Petr Peter Pete"),
    ("m", "Платон", "Тоша Platon"),
    ("m", "Роман", "Рома Ромка Roma Roman"),
    ("m", "Руслан", "Русик Ruslan"),
    ("m", "Семён", "Сёма Сеня Syoma Senya Semyon Semen Simon"),
    ("m", "Сергей", "Серёжа Серёга Серж Seryozha Seriozha Seryoga Sergey Sergei Serge"),
    ("m", "Станислав", "Стас Слава Stas Slava Stanislav"),
    ("m", "Степан", "Стёпа Styopa Stepan Stephen Steven"),
    ("m", "Тимофей", "Тима Тимоша Tima Timofey Timothy"),
    ("m", "Тимур", "Тима Tima Timur"),
    ("m", "Фёдор", "Федя Fedya Fyodor Fedor"),
    ("m", "Филипп", "Филя Fil Philip Phillip Filip"),
    ("m", "Эдуард", "Эдик Edik Eduard Edward"),
    ("m", "Юрий", "Юра Юрик Yura Yuri Yury Yuriy Iurii"),
    ("m", "Ярослав", "Ярик Слава Yarik Slava Yaroslav"),
    ("m", "Святослав", "Свят Слава Svyatoslav"),
    ("m", "Ростислав", "Ростик Слава Rostik"),
    ("m", "Савелий", "Савва Сава Savely"),
    ("m", "Мирон", "Мироша Miron"),
    ("m", "Назар", "Назарка Nazar"),
    ("m", "Яков", "Яша Yasha Yakov Jacob Jake"),
    ("m", "Тихон", "Тиша Tisha Tikhon"),
    ("m", "Родион", "Родя Rodya Rodion"),
    ("m", "Ефим", "Фима Fima Efim Yefim"),
    ("m", "Вениамин", "Веня Venya Benjamin Ben"),
    ("m", "Эльдар", "Eldar"),
    ("m", "Рустам", "Rustam"),
    ("m", "Ринат", "Rinat"),
    # --- Russian, female ----------------------------------------------------------------------
    ("f", "Александра", "Саша Саня Шура Алекс Sasha Sanya Shura Alexandra Alex Lexi Sandra"),
    ("f", "Алина", "Аля Alina"),
    ("f", "Алиса", "Алиска Alisa Alice"),
    ("f", "Алла", "Аллочка Alla"),
    ("f", "Алёна", "Алёнка Alyona Alena Alyena"),
    ("f", "Анастасия", "Настя Настёна Ася Nastya Nastia Anastasia Anastasiya"),
    ("f", "Ангелина", "Геля Лина Angelina"),
    ("f", "Анна", "Аня Анюта Нюра Anya Ania Anna Ann Anne Annie"),
    ("f", "Антонина", "Тоня Tonya Tonia Antonina"),
    ("f", "Арина", "Ариша Arisha Arina"),
    ("f", "Валентина", "Валя Valya Valentina"),
    ("f", "Валерия", "Лера Lera Valeria Valeriya Valerie"),
    ("f", "Варвара", "Варя Varya Varvara Barbara"),
    ("f", "Василиса", "Вася Лиса Vasilisa"),
    ("f", "Вера", "Верочка Vera"),
    ("f", "Вероника", "Ника Nika Veronika Veronica"),
    ("f", "Виктория", "Вика Vika Victoria Viktoria Viktoriya Vicky Tori"),
    ("f", "Галина", "Галя Galya Galina"),
    ("f", "Дарья", "Даша Dasha Daria Darya Dariya"),
    ("f", "Диана", "Diana"),
    ("f", "Ева", "Евочка Eva Eve"),
    ("f", "Евгения", "Женя Zhenya Evgenia Evgeniya Yevgenia Eugenia Jenny"),
    (
        "f",
        "Екатерина",
        "Катя Катерина Катюша Kate Katya Katia Katerina Ekaterina Catherine "
        "Katherine Kathryn Katie Kathy Cathy Kat",
    ),
    ("f", "Елена", "Лена Леночка Lena Elena Yelena Helen Helena Ellen"),
    (
        "f",
        "Елизавета",
        "Лиза Лизавета Liza Elizaveta Elizabeth Elisabeth Eliza Liz Lizzie Beth Betty Betsy",
    ),
    ("f", "Жанна", "Zhanna Jeanne"),
    ("f", "Зинаида", "Зина Zina"),
    ("f", "Зоя", "Зоечка Zoya Zoe"),
    ("f", "Злата", "Златка Zlata"),
    ("f", "Инна", "Инночка Inna"),
    ("f", "Ирина", "Ира Ириша Irina Ira Irene"),
    ("f", "Карина", "Кара Karina"),
    ("f", "Кира", "Кирочка Kira"),
    ("f", "Кристина", "Кристи Кристя Kristina Christina Christine Kristi Tina"),
    ("f", "Ксения", "Ксюша Ксю Ksenia Kseniya Xenia Ksyusha"),
    ("f", "Лариса", "Лара Lara Larisa Larissa"),
    ("f", "Лидия", "Лида Lida Lidia Lydia"),
    ("f", "Любовь", "Люба Lyuba Luba Lyubov"),
    ("f", "Людмила", "Люда Мила Люся Lyuda Mila Ludmila Lyudmila"),
    ("f", "Майя", "Мая Maya Maia"),
    ("f", "Маргарита", "Рита Марго Rita Margo Margarita Margaret Maggie Peggy"),
    ("f", "Марина", "Мариша Marina"),
    ("f", "Мария", "Маша Маруся Маня Марья Masha Marusya Maria Mariya Marie Mary Molly"),
    ("f", "Милана", "Мила Milana"),
    ("f", "Милена", "Мила Milena"),
    ("f", "Надежда", "Надя Nadya Nadia Nadezhda"),
    ("f", "Наталья", "Наташа Ната Natasha Natalia Natalya Natalie Nathalie Nataly Nat"),
    ("f", "Нина", "Ниночка Nina"),
    ("f", "Оксана", "Ксана Oksana Oxana"),
    ("f", "Олеся", "Леся Lesya Olesya"),
    ("f", "Ольга", "Оля Olya Olga"),
    ("f", "Полина", "Поля Polya Polina Pauline"),
    ("f", "Раиса", "Рая Raya Raisa"),
    ("f", "Регина", "Regina"),
    ("f", "Светлана", "Света Sveta Svetlana Lana"),
    ("f", "Софья", "Соня София Sonya Sonia Sofia Sofiya Sophia Sophie"),
    ("f", "Таисия", "Тая Taya Taisia"),
    ("f", "Тамара", "Тома Tamara"),
    ("f", "Татьяна", "Таня Tanya Tania Tatiana Tatyana"),
    ("f", "Ульяна", "Уля Ulya Ulyana Uliana"),
    ("f", "Юлия", "Юля Yulia Julia Yuliya Iuliia Julie Jules"),
    ("f", "Яна", "Яночка Yana"),
    ("f", "Эвелина", "Эля Evelina Eveline"),
    ("f", "Элина", "Эля Elina"),
    ("f", "Эльвира", "Эля Elvira"),
    ("f", "Снежана", "Снежа Snezhana"),
    ("f", "Стефания", "Стеша Stefania Stephanie"),
    ("f", "Ярослава", "Слава Яся Yaroslava"),
    ("f", "Владислава", "Влада Слава Vlada Vladislava"),
    ("f", "Станислава", "Стася Слава Stanislava"),
    ("f", "Алевтина", "Аля Тина Alevtina"),
    ("f", "Лилия", "Лиля Lilia Lily"),
    ("f", "Нелли", "Нелля Nelly Nellie"),
    ("f", "Эмилия", "Эмили Emilia"),
    # --- English, male ------------------------------------------------------------------------
    ("m", "William", "Bill Billy Will Willy Liam"),
    ("m", "Robert", "Bob Bobby Rob Robbie Bert"),
    ("m", "Richard", "Rick Ricky Dick Rich Richie"),
    ("m", "James", "Jim Jimmy Jamie"),
    ("m", "John", "Jack Johnny Jon"),
    ("m", "Thomas", "Tom Tommy"),
    ("m", "Joseph", "Joe Joey"),
    ("m", "Charles", "Charlie Chuck"),
    ("m", "Edward", "Ed Eddie Ted Teddy Ned"),
    ("m", "Henry", "Harry Hank"),
    ("m", "Samuel", "Sam Sammy"),
    ("m", "Christopher", "Chris Kit"),
    ("m", "Patrick", "Pat Paddy"),
    ("m", "Timothy", "Tim Timmy"),
    ("m", "Jonathan", "Jon Johnny"),
    ("m", "Oliver", "Ollie Olly"),
    ("m", "Frederick", "Fred Freddie"),
    ("m", "Lawrence", "Larry Laurie"),
    ("m", "Ronald", "Ron Ronnie"),
    ("m", "Donald", "Don Donny"),
    ("m", "Kenneth", "Ken Kenny"),
    ("m", "Leonard", "Len Lenny Leo"),
    ("m", "Raymond", "Ray"),
    ("m", "Albert", "Al Bert"),
    ("m", "Zachary", "Zach Zack"),
    ("m", "Nathaniel", "Nate Nat Nathan"),
    ("m", "Matthew", "Matt Matty"),
    ("m", "Andrew", "Andy Drew"),
    ("m", "Anthony", "Tony"),
    ("m", "Philip", "Phil Pip"),
    ("m", "Gregory", "Greg"),
    ("m", "Benjamin", "Ben Benny"),
    ("m", "Daniel", "Dan Danny"),
    ("m", "David", "Dave Davy"),
    ("m", "Michael", "Mike Mikey Mick Mickey"),
    ("m", "Peter", "Pete"),
    ("m", "Steven", "Steve Stephen Stevie"),
    ("m", "Mark", "Marc Marky"),
    # --- English, female ----------------------------------------------------------------------
    ("f", "Jennifer", "Jen Jenny"),
    ("f", "Rebecca", "Becky Becca"),
    ("f", "Susan", "Sue Susie Suzy"),
    ("f", "Deborah", "Debbie Deb Debra"),
    ("f", "Patricia", "Pat Patty Trish Tricia"),
    ("f", "Dorothy", "Dot Dottie Dolly"),
    ("f", "Abigail", "Abby Abbie Gail"),
    ("f", "Samantha", "Sam Sammy"),
    ("f", "Jessica", "Jess Jessie"),
    ("f", "Emily", "Em Emmy Emilie"),
    ("f", "Emma", "Emmy"),
    ("f", "Olivia", "Liv Livvy Olive"),
    ("f", "Charlotte", "Charlie Lottie Lotte"),
    ("f", "Hannah", "Hanna Annie"),
    ("f", "Lucy", "Lucie Lu Lucia"),
    ("f", "Grace", "Gracie"),
    ("f", "Claire", "Clare"),
    ("f", "Caroline", "Carrie Carol Carolyn"),
    ("f", "Eleanor", "Ellie Nell Nora Elle"),
    ("f", "Amanda", "Mandy"),
    ("f", "Judith", "Judy Jude"),
    ("f", "Frances", "Fran Frankie Fanny"),
)


@functools.cache
def _table() -> tuple[dict[str, frozenset[str]], dict[str, str], dict[str, tuple[str, ...]]]:
    """(form skeleton → canonical skeletons, canonical skeleton → gender, canonical → forms)."""
    keys: dict[str, set[str]] = {}
    genders: dict[str, set[str]] = {}
    forms: dict[str, tuple[str, ...]] = {}
    for gender, canonical, text in _GROUPS:
        key = name_skeleton(canonical)
        group = (canonical, *text.split())
        forms[key] = tuple(dict.fromkeys(forms.get(key, ()) + group[1:]))
        for form in group:
            skeleton = name_skeleton(form)
            keys.setdefault(skeleton, set()).add(key)
            genders.setdefault(skeleton, set()).add(gender)
    return (
        {skeleton: frozenset(found) for skeleton, found in keys.items()},
        {skeleton: next(iter(g)) if len(g) == 1 else "" for skeleton, g in genders.items()},
        forms,
    )


@functools.lru_cache(maxsize=65_536)
def first_name_keys(name: str) -> frozenset[str]:
    """The ``name_skeleton``s of every canonical full name this first name may stand for.

    ``Саша``, ``Sasha``, ``Alexandr``, ``Aleksandr`` and ``Александр`` share the key
    ``aleksandr`` (Саша and Sasha also have ``aleksandra``); an unknown name is its own key;
    an empty name has none.
    """
    return skeleton_keys(name_skeleton(name))


def is_known(name: str) -> bool:
    """Whether the table knows this first name (as a full name or as one of its forms)."""
    return name_skeleton(name) in _table()[0]


@functools.lru_cache(maxsize=65_536)
def name_gender(name: str) -> str:
    """ "f" or "m" when every name this first name may stand for has that gender, else ""."""
    return skeleton_gender(name_skeleton(name))


def diminutives(name: str) -> tuple[str, ...]:
    """The forms the table lists for a canonical full name (``Екатерина`` → Катя, Kate …)."""
    return _table()[2].get(name_skeleton(name), ())


def skeleton_keys(skeleton: str) -> frozenset[str]:
    """``first_name_keys`` for a name already reduced by ``name_skeleton`` (hot path)."""
    if not skeleton:
        return frozenset()
    return _table()[0].get(skeleton, frozenset((skeleton,)))


def skeleton_known(skeleton: str) -> bool:
    """``is_known`` for a name already reduced by ``name_skeleton``."""
    return skeleton in _table()[0]


def skeleton_gender(skeleton: str) -> str:
    """``name_gender`` for a name already reduced by ``name_skeleton``."""
    return _table()[1].get(skeleton, "")
