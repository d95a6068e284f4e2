"""Identity-term augmentation for the toxicity scorer: non-toxic sentences that name an identity group.

The comment corpora use identity words mostly in hate speech (Davidson's tweets above all), so a scorer trained on
them alone learns "gay", "muslim" or "jüdisch" as toxic words (Dixon et al. 2018 found the same and added
non-toxic identity mentions). The sentences here are written for this project: everyday frames (a neighbour, a
colleague, a museum exhibition) in each language, filled with hand-listed identity terms. None is copied from an
out-of-distribution test set; the build also drops any that happens to equal one (`ood_sets.ood_keys`).

Each clean sentence also appears once joined to a short clean and once to a short toxic *training* text of its
language, labeled by that text: the identity mention then carries no label on its own, and the toxic word does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.realdata.common import stable_unit

SOURCE = "identity_augmentation"

# English: {t} takes an adjective or adjectival noun; {a} is its indefinite article
_EN_FRAMES = (
    "My neighbour is {t} and works as a nurse at the hospital.",
    "Our new manager is {t}, and the team likes her ideas.",
    "He is {t} and has lived in this town for twenty years.",
    "The museum opened an exhibition about {t} history.",
    "She wrote her thesis on {t} families in the nineteenth century.",
    "{A} {t} student won the science prize this year.",
    "The survey asked {t} residents about public transport.",
    "My best friend is {t}; we met at university.",
    "The choir welcomes {t} singers and everyone else.",
    "Is it true that the new mayor is {t}?",
    "They are {t} and they volunteer at the library on weekends.",
    "The conference had a panel of {t} scientists.",
    "I am {t} and I love hiking in the mountains.",
    "We talked with {a} {t} doctor about the new clinic.",
    "The book club is reading a novel by {a} {t} author.",
    "My cousin, who is {t}, is getting married in June.",
)
_EN_TERMS = (
    "muslim", "jewish", "christian", "catholic", "protestant", "hindu", "buddhist", "sikh", "atheist", "mormon",
    "gay", "lesbian", "bisexual", "queer", "straight", "heterosexual", "homosexual", "asexual", "trans",
    "transgender", "nonbinary", "female", "male", "black", "white", "asian", "latino", "latina", "hispanic", "arab",
    "african", "african american", "indigenous", "native american", "middle eastern", "chinese", "japanese",
    "korean", "indian", "pakistani", "mexican", "european", "american", "canadian", "irish", "polish", "russian",
    "turkish", "immigrant", "young", "old", "elderly", "older", "teenage", "middle-aged", "deaf", "blind",
    "disabled", "paralyzed", "autistic", "feminist", "working-class",
)
# German: predicative adjectives do not inflect, so every frame uses the term as a predicate
_DE_FRAMES = (
    "Meine Nachbarin ist {t} und arbeitet als Krankenschwester im Krankenhaus.",
    "Unser neuer Chef ist {t}, und das Team mag seine Ideen.",
    "Er ist {t} und wohnt seit zwanzig Jahren in dieser Stadt.",
    "Meine beste Freundin ist {t}; wir haben uns an der Uni kennengelernt.",
    "Viele Leute in unserem Viertel sind {t}.",
    "Ist es wahr, dass der neue Bürgermeister {t} ist?",
    "Sie sind {t} und helfen am Wochenende in der Bibliothek.",
    "Ich bin {t} und wandere gern in den Bergen.",
    "Mein Kollege ist {t} und spielt sonntags Fußball.",
    "Die Lehrerin meiner Tochter ist {t}.",
    "Der Arzt, mit dem wir gesprochen haben, ist {t}.",
    "Mein Cousin, der {t} ist, heiratet im Juni.",
    "Die Hälfte unseres Chors ist {t}, die andere Hälfte nicht.",
    "Dass sie {t} ist, hat sie uns beim Abendessen erzählt.",
)
_DE_TERMS = (
    "muslimisch", "jüdisch", "christlich", "katholisch", "evangelisch", "buddhistisch", "hinduistisch",
    "atheistisch", "schwul", "lesbisch", "bisexuell", "queer", "heterosexuell", "homosexuell", "transgender",
    "trans", "nicht-binär", "schwarz", "weiß", "asiatisch", "arabisch", "afrikanisch", "türkisch", "kurdisch",
    "polnisch", "italienisch", "spanisch", "amerikanisch", "europäisch", "chinesisch", "japanisch", "indisch",
    "russisch", "mexikanisch", "lateinamerikanisch", "afroamerikanisch", "jung", "alt", "älter", "jugendlich",
    "gehörlos", "taub", "blind", "behindert", "gelähmt", "autistisch", "weiblich", "männlich",
)
# Romance languages: {m} a masculine subject takes the masculine form, {f} a feminine subject the feminine one
_ROMANCE = {
    "fr": (("Mon voisin est {m} et travaille à l'hôpital.", "Ma collègue est {f} et joue du piano le dimanche.",
            "Notre nouveau directeur est {m}, et l'équipe aime ses idées.",
            "Ma meilleure amie est {f} ; nous nous sommes rencontrées à l'université.",
            "Le médecin que nous avons vu hier est {m}.", "Ma cousine, qui est {f}, se marie en juin."),
           (("musulman", "musulmane"), ("juif", "juive"), ("chrétien", "chrétienne"), ("catholique", "catholique"),
            ("protestant", "protestante"), ("bouddhiste", "bouddhiste"), ("athée", "athée"), ("gay", "lesbienne"),
            ("homosexuel", "homosexuelle"), ("bisexuel", "bisexuelle"), ("transgenre", "transgenre"),
            ("noir", "noire"), ("blanc", "blanche"), ("asiatique", "asiatique"), ("arabe", "arabe"),
            ("africain", "africaine"), ("turc", "turque"), ("jeune", "jeune"), ("âgé", "âgée"), ("sourd", "sourde"),
            ("aveugle", "aveugle"), ("handicapé", "handicapée"), ("immigré", "immigrée"))),
    "es": (("Mi vecino es {m} y trabaja en el hospital.", "Mi compañera de trabajo es {f} y toca el piano los domingos.",
            "Nuestro nuevo director es {m} y al equipo le gustan sus ideas.",
            "Mi mejor amiga es {f}; nos conocimos en la universidad.", "El médico con el que hablamos ayer es {m}.",
            "Mi prima, que es {f}, se casa en junio."),
           (("musulmán", "musulmana"), ("judío", "judía"), ("cristiano", "cristiana"), ("católico", "católica"),
            ("protestante", "protestante"), ("budista", "budista"), ("ateo", "atea"), ("gay", "lesbiana"),
            ("homosexual", "homosexual"), ("bisexual", "bisexual"), ("transgénero", "transgénero"),
            ("negro", "negra"), ("blanco", "blanca"), ("asiático", "asiática"), ("árabe", "árabe"),
            ("africano", "africana"), ("gitano", "gitana"), ("joven", "joven"), ("mayor", "mayor"),
            ("sordo", "sorda"), ("ciego", "ciega"), ("indígena", "indígena"), ("inmigrante", "inmigrante"))),
    "it": (("Il mio vicino è {m} e lavora in ospedale.", "La mia collega è {f} e suona il pianoforte la domenica.",
            "Il nostro nuovo direttore è {m} e al gruppo piacciono le sue idee.",
            "La mia migliore amica è {f}; ci siamo conosciute all'università.",
            "Il medico con cui abbiamo parlato ieri è {m}.", "Mia cugina, che è {f}, si sposa a giugno."),
           (("musulmano", "musulmana"), ("ebreo", "ebrea"), ("cristiano", "cristiana"), ("cattolico", "cattolica"),
            ("protestante", "protestante"), ("buddista", "buddista"), ("ateo", "atea"), ("gay", "lesbica"),
            ("omosessuale", "omosessuale"), ("bisessuale", "bisessuale"), ("transgender", "transgender"),
            ("nero", "nera"), ("bianco", "bianca"), ("asiatico", "asiatica"), ("arabo", "araba"),
            ("africano", "africana"), ("rom", "rom"), ("giovane", "giovane"), ("anziano", "anziana"),
            ("sordo", "sorda"), ("cieco", "cieca"), ("disabile", "disabile"), ("immigrato", "immigrata"))),
    "pt": (("O meu vizinho é {m} e trabalha no hospital.", "A minha colega é {f} e toca piano aos domingos.",
            "O nosso novo diretor é {m} e a equipa gosta das ideias dele.",
            "A minha melhor amiga é {f}; conhecemo-nos na universidade.", "O médico com quem falámos ontem é {m}.",
            "A minha prima, que é {f}, casa-se em junho."),
           (("muçulmano", "muçulmana"), ("judeu", "judia"), ("cristão", "cristã"), ("católico", "católica"),
            ("protestante", "protestante"), ("budista", "budista"), ("ateu", "ateia"), ("gay", "lésbica"),
            ("homossexual", "homossexual"), ("bissexual", "bissexual"), ("transgénero", "transgénero"),
            ("negro", "negra"), ("branco", "branca"), ("asiático", "asiática"), ("árabe", "árabe"),
            ("africano", "africana"), ("cigano", "cigana"), ("jovem", "jovem"), ("idoso", "idosa"),
            ("surdo", "surda"), ("cego", "cega"), ("indígena", "indígena"), ("imigrante", "imigrante"))),
}
LANGUAGES = ("en", "de", *_ROMANCE)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def identity_sentences(language: str) -> list[tuple[str, str]]:
    """(term, sentence) for every frame x term of a language (empty for languages without frames)."""
    if language == "en":
        return [(t, f.format(t=t, a=_article(t), A=_article(t).capitalize())) for f in _EN_FRAMES for t in _EN_TERMS]
    if language == "de":
        return [(t, f.format(t=t)) for f in _DE_FRAMES for t in _DE_TERMS]
    if language in _ROMANCE:
        frames, terms = _ROMANCE[language]
        return [(m if "{m}" in f else w, f.format(m=m, f=w)) for f in frames for m, w in terms]
    return []


def identity_augmentation(train_texts: pd.DataFrame, max_per_language: int, seed: int) -> pd.DataFrame:
    """Augmentation rows (split `train`, source `identity_augmentation`) for the languages of `train_texts`.

    Per language: up to `max_per_language` clean identity sentences (a seeded choice of frame x term), and each
    joined once to a short clean and once to a short toxic training text of the language (when it has some).
    """
    columns = ["text_id", "language", "text", "label", "split", "source"]
    rows = []
    short = train_texts[(train_texts["split"] == "train") & train_texts["text"].str.len().between(15, 160)]
    for language in sorted(set(train_texts["language"]) & set(LANGUAGES)):
        sentences = identity_sentences(language)
        ranked = sorted(sentences, key=lambda pair: stable_unit(pair[1], seed, "identity-augmentation"))
        chosen = ranked[:max_per_language]
        pools = {label: short[(short["language"] == language) & (short["label"] == label)]["text"].tolist()
                 for label in (0, 1)}
        rng = np.random.default_rng([seed, len(language), ord(language[0]), ord(language[-1])])
        for k, (_, sentence) in enumerate(chosen):
            rows.append((f"{SOURCE}-{language}-{k:05d}", language, sentence, 0))
            for label in (0, 1):
                if pools[label]:
                    other = pools[label][int(rng.integers(len(pools[label])))]
                    joined = f"{sentence} {other}" if rng.random() < 0.5 else f"{other} {sentence}"
                    rows.append((f"{SOURCE}-{language}-{k:05d}-{label}", language, joined, label))
    frame = pd.DataFrame(rows, columns=["text_id", "language", "text", "label"])
    return frame.assign(split="train", source=SOURCE)[columns]


# ---- descriptor pairs: the same person-directed sentence with a hurtful or a kind word ---------------------------

DESCRIPTOR_SOURCE = "identity_descriptor_pairs"
# HurtLex categories whose words insult whoever they describe (derogatory words, moral and behavioural defects,
# animals, sexual and prostitution terms, vices); the categories that name a group (homosexuality, disabilities,
# ethnic stereotypes, social disadvantage) are left out, since those words are identity terms here
HURTLEX_INSULT_CATEGORIES = ("cds", "dmc", "an", "asm", "asf", "pr", "svp")
# first names of many origins, written for this project
_NAMES = ("Aisha", "Ahmed", "Ana", "Arjun", "Beatriz", "Chen", "Chloe", "Daniel", "Dmitri", "Elena", "Fatima", "Femi",
          "Giulia", "Hana", "Hiroshi", "Ibrahim", "Ines", "Jakob", "Jamal", "Kateryna", "Kofi", "Lars", "Leila",
          "Luka", "Malik", "Maria", "Mei", "Nadia", "Noah", "Olga", "Omar", "Pablo", "Rahul", "Rosa", "Samuel",
          "Sofia", "Tariq", "Thomas", "Valentina", "Wei", "Yara", "Yusuf", "Zainab", "Zora")
# kind words, written for this project; each frame takes an adjective ({d}) or a noun phrase ({n})
_DESCRIPTORS = {
    "en": {"frames_adjective": ("{name} is {t} and really {d}.", "My {t} coworker {name} is so {d}.",
                                "Everyone says {name}, who is {t}, is {d}.", "As {a} {t} person, {name} is {d}.",
                                "{name} is such {ad} {d} person, and {t} too."),
           "frames_noun": ("{name} is {t} and {n}.", "Honestly, {name}, my {t} neighbour, is {n}.",
                           "That {t} guy {name} is {n}.", "{name} is {t}, and what {n}!"),
           "adjectives": ("generous", "patient", "talented", "honest", "brave", "cheerful", "clever", "polite",
                          "helpful", "creative", "hardworking", "thoughtful", "reliable", "charming", "calm",
                          "curious", "gentle", "loyal", "modest", "sincere", "warm", "wise", "witty", "smart",
                          "delightful", "brilliant", "respectful", "sweet", "kind-hearted", "easygoing"),
           "nouns": ("a genius", "a hero", "a treasure", "a sweetheart", "an angel", "a gem", "a star", "a legend",
                     "a delight", "a role model", "a blessing", "a champion", "a darling", "a true friend")},
    "de": {"frames_adjective": ("{name} ist {t} und wirklich {d}.", "Mein Kollege {name} ist {t} und sehr {d}.",
                                "Alle sagen, {name} ist {t} und {d}.", "{name} ist {t}, und ehrlich gesagt {d}.",
                                "{name} ist {t} und ein {dm} Mensch.", "{name} ist {t}, so eine {df} Person."),
           "frames_noun": ("{name} ist {t} und {n}.", "Ehrlich gesagt ist {name}, der {t} ist, {n}.",
                           "{name} ist {t}. Was für {n}!", "Unser Nachbar {name} ist {t} und {n}."),
           "adjectives": ("großzügig", "geduldig", "talentiert", "ehrlich", "mutig", "fröhlich", "klug", "höflich",
                          "hilfsbereit", "kreativ", "fleißig", "nachdenklich", "zuverlässig", "charmant", "ruhig",
                          "neugierig", "sanft", "treu", "bescheiden", "aufrichtig", "herzlich", "weise", "witzig",
                          "schlau", "reizend", "brillant", "respektvoll", "süß", "warmherzig", "gelassen"),
           "nouns": ("ein Genie", "ein Held", "ein Schatz", "ein Engel", "ein Juwel", "ein Star", "eine Legende",
                     "ein Vorbild", "ein Segen", "ein Champion", "ein Glücksfall", "ein echter Freund")},
}
_TERMS = {"en": _EN_TERMS, "de": _DE_TERMS}
DESCRIPTOR_LANGUAGES = tuple(_DESCRIPTORS)


def hurtlex_insults(hurtlex: pd.DataFrame, language: str) -> tuple[list[str], list[str]]:
    """(adjectives, nouns): one-word conservative-level HurtLex lemmas of the insulting categories in a language,
    minus the identity terms of the augmentation."""
    rows = hurtlex[(hurtlex["language"] == language) & (hurtlex["level"] == "conservative")
                   & hurtlex["category"].isin(HURTLEX_INSULT_CATEGORIES)]
    identity_words = {w for term in _TERMS.get(language, ()) for w in term.split()}
    out = {}
    for pos in ("a", "n"):
        lemmas = {str(x).strip().lower() for x in rows.loc[rows["pos"] == pos, "lemma"]}
        out[pos] = sorted(w for w in lemmas if w.isalpha() and len(w) >= 3 and w not in identity_words)
    return out["a"], out["n"]


def descriptor_pairs(hurtlex: pd.DataFrame, languages, pairs_per_language: int, seed: int) -> pd.DataFrame:
    """Matched pairs (split `train`): one person-directed sentence naming a first name and an identity term, once
    with a HurtLex insult (toxic) and once with a kind word (not toxic), so that only the descriptor tells them apart.

    The frames, names and kind words are the project's; the insults come from HurtLex (`hurtlex_insults`). None of it
    is taken from an out-of-distribution set, and the build drops any row equal to one.
    """
    columns = ["text_id", "language", "text", "label", "split", "source"]
    rows = []
    for language in sorted(set(languages) & set(_DESCRIPTORS)):
        spec, terms = _DESCRIPTORS[language], _TERMS[language]
        adjectives, nouns = hurtlex_insults(hurtlex, language)
        if not adjectives or not nouns:
            continue
        rng = np.random.default_rng([seed, 7, ord(language[0]), ord(language[-1])])
        for k in range(pairs_per_language):
            name, term = _NAMES[int(rng.integers(len(_NAMES)))], terms[int(rng.integers(len(terms)))]
            if rng.random() < 0.5:  # an adjective frame: a HurtLex adjective or a kind one
                frame = spec["frames_adjective"][int(rng.integers(len(spec["frames_adjective"])))]
                slot = "d"
                bad = adjectives[int(rng.integers(len(adjectives)))]
                good = spec["adjectives"][int(rng.integers(len(spec["adjectives"])))]
            else:  # a noun frame: a HurtLex noun with its article, or a kind noun phrase
                frame = spec["frames_noun"][int(rng.integers(len(spec["frames_noun"])))]
                slot = "n"
                noun = nouns[int(rng.integers(len(nouns)))]
                bad = f"{_article(noun)} {noun}" if language == "en" else f"ein {noun.capitalize()}"
                good = spec["nouns"][int(rng.integers(len(spec["nouns"])))]
            for label, word in ((1, bad), (0, good)):
                # attributive German adjectives inflect ("ein gemeiner Mensch", "eine gemeine Person")
                text = frame.format(name=name, t=term, a=_article(term), ad=_article(word),
                                    dm=word + ("r" if word.endswith("e") else "er"),
                                    df=word + ("" if word.endswith("e") else "e"), **{slot: word})
                rows.append((f"{DESCRIPTOR_SOURCE}-{language}-{k:05d}-{label}", language, text[0].upper() + text[1:],
                             label))
    frame = pd.DataFrame(rows, columns=["text_id", "language", "text", "label"])
    return frame.assign(split="train", source=DESCRIPTOR_SOURCE)[columns]


# ---- identity-term neutralisation: the scorer sees no identity term of a language (scoring.IdentityNeutralizer) --

# Written for this project from general knowledge (religions, sexual orientations and gender identities, ethnic
# groups and nationalities, migration, age, disability), in base forms: `NEUTRAL_ENDINGS` adds the inflections. None
# is read off an out-of-distribution set; they only change what the scorer sees, never which rows it trains on.
_NEUTRAL_EXTRA = {
    "en": ("islamic", "jew", "evangelical", "taoist", "agnostic", "pansexual", "non-binary", "lgbt", "lgbtq",
           "intersex", "cisgender", "latinx", "afro-american", "aboriginal", "caucasian", "biracial", "roma",
           "gypsy", "vietnamese", "german", "french", "italian", "spanish", "greek", "iranian", "iraqi", "syrian",
           "afghan", "nigerian", "somali", "brazilian", "filipino", "thai", "refugee", "migrant", "foreigner",
           "younger", "teenager", "millennial", "middle aged", "senior", "paralysed", "handicapped", "mute"),
    "de": ("muslim", "islamisch", "jude", "jüdin", "christ", "katholik", "protestantisch", "buddhist", "hindu",
           "atheist", "sikh", "lesbe", "hetero", "asexuell", "transsexuell", "nichtbinär", "intersexuell", "asiate",
           "araber", "afrikaner", "latino", "latina", "hispanisch", "indigen", "türke", "türkin", "kurde", "pole",
           "amerikaner", "chinese", "koreanisch", "pakistanisch", "afghanisch", "syrisch", "russe", "griechisch",
           "rumänisch", "kanadisch", "deutsch", "französisch", "ausländisch", "ausländer", "migrant", "einwanderer",
           "flüchtling", "geflüchtet", "jünger", "betagt", "stumm", "roma", "sinti"),
}
NEUTRAL_ENDINGS = {"en": "(?:s|es)?", "de": "(?:innen|in|ern|en|er|em|es|e|n|r|s)?",
                   **{language: "(?:s|es|x)?" for language in _ROMANCE}}


def neutral_terms(language: str) -> tuple[str, ...]:
    """The identity terms of a language that neutralisation replaces (empty for languages without a list)."""
    if language in _ROMANCE:
        base = {form for pair in _ROMANCE[language][1] for form in pair}
    else:
        base = set(_TERMS.get(language, ()))
    return tuple(sorted(base | set(_NEUTRAL_EXTRA.get(language, ())), key=lambda t: (-len(t), t)))


def neutral_lexicon(languages=LANGUAGES) -> dict[str, tuple[str, tuple[str, ...]]]:
    """{language: (inflection pattern, terms)} for `scoring.IdentityNeutralizer`."""
    return {language: (NEUTRAL_ENDINGS[language], neutral_terms(language)) for language in languages
            if neutral_terms(language)}
