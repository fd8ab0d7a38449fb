"""The phrases the risk screen looks for, as data: rules, idioms, and the words around them.

Patterns are regular expressions over normalised tokens joined by single spaces (lower
case, no accents, contractions expanded: "i'm" is "i am", "don't" is "do not", "wanna" is
"want to"). Runs of one letter are squeezed in both text and patterns when compiled, so
write words normally ("kill", "better off"). Punctuation inside a sentence is kept as its
own token (, ; : - "), so a pattern never runs across a comma by accident.

Kinds:
- ``strong``: explicit first-person risk language ("kill myself", "quiero morir").
- ``mention``: a risk word that also appears in news, study or other people's stories
  ("suicide", "overdose"); it is vetoed by context words and third-person subjects.
- ``prep``: preparation, means, place or goodbye ("I have the pills ready", "this is
  goodbye"); a finding with one is imminent.
- ``weak``: ambiguous alone ("I'm doing it tonight", "perdón por todo"); two together count.

Sources for the phrasings: common clinical screening language (C-SSRS wording of wish to be
dead, ideation, intent, preparatory behaviour), safe-messaging guidance on slang and
euphemisms, and the labelled corpus in tests/risk_corpus/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RuleKind = Literal["strong", "mention", "prep", "weak"]


@dataclass(frozen=True)
class Rule:
    """One phrase pattern and how its matches are checked."""

    name: str
    pattern: str
    language: Literal["en", "es"] = "en"
    kind: RuleKind = "strong"
    negatable: bool = True
    """A negator just before it ("not", "never", "no urges to") cancels it."""
    subject: bool = False
    """Cancelled when its subject is someone else ("my friend wants to die")."""
    context: bool = False
    """Cancelled by news, study or media words in the sentence ("suicide prevention")."""
    also: str | None = None
    """A second pattern that must appear somewhere in the same message (a pair that only
    means risk together: "be with my mom again" and "she passed")."""


# Building blocks.
_ADV = r"(?:(?:really|just|honestly|seriously|literally|genuinely|actually|kinda|kind of|so|still|always|sometimes|often|lowkey|highkey|truly|totally|also|even|almost|sort of|kind of|rly|fucking|all) )*"
_WANT = (
    r"(?:want|wanted|wanting|wish|wished|need|needed|would like|would love|am going|was going|"
    r"going|plan|planning|planned|intend|am ready|ready|deserve|deserved|tempted|trying|"
    r"want so bad|feel like i want|decided)"
)
_THINK = (
    r"(?:think|thinking|thought|thoughts|keep thinking|kept thinking|fantasi[sz]e|fantasi[sz]ing|"
    r"dream|dreaming|obsess|obsessing|urges?|urge|desire|considering|consider|tempted)"
)
_ME = r"(?:myself|my self|meself)"
_PILLS = r"(?:pills|meds|medication|medications|tablets|sleeping pills|painkillers|paracetamol|tylenol|ibuprofen|xanax|prescription)"
_EN_END = r"(?= (?:right now |now |tonight |today |already |ready )?(?:[,;:\-\"]|$))"
_WHEN = r"(?:tonight|today|tomorrow|this weekend|right now|now|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|after (?:my|the) (?:shift|work|class|exam)|in (?:an|a few) hours?)"

_ES_WANT = (
    r"(?:quiero|quisiera|queria|deseo|desearia|necesito|me gustaria|tengo ganas de|tenia ganas de|"
    r"me dan ganas de|me dieron ganas de|ganas de|que ganas de|deseando|la unica salida es|"
    r"la unica opcion es|la solucion es|"
    r"(?:pienso|pense|pensando|pensar|pensado|penso) (?:(?:mucho|seguido|siempre|todo el tiempo|a veces|"
    r"cada vez mas|otra vez|de nuevo|bastante|tanto|mucho tiempo|demasiado) )*en|"
    r"he pensado en|vengo pensando en|ando pensando en|volvi a pensar en|"
    r"voy a|me voy a|iba a|planeo|siento que lo mejor seria|lo mejor seria|mejor seria|"
    r"la idea de|ideas de|pensamientos de|intente|intento|"
    r"(?:preparad[oa]|list[oa]|decidid[oa]|dispuest[oa]) (?:a|para)|preferiria|prefiero|deberia|debo|"
    r"me da igual)"
)
_ES_SELF = (
    r"(?:morir|morirme|matarme|suicidarme|quitarme la vida|acabar con mi vida|"
    r"terminar con mi vida|acabar con todo|terminar con todo|hacerme dano|lastimarme|cortarme|"
    r"autolesionarme|desaparecer para siempre|dejar de existir|dejar de vivir|no despertar|"
    r"ahorcarme|pegarme un tiro|tirarme (?:del|de un|de una|al|a las|por la|por el|bajo)|"
    r"tomarme todas las pastillas|el suicidio|la muerte como (?:unica )?salida|quemarme|"
    r"matar(?= [,;\"\-]| $)|suicidar(?= [,;\"\-]| $)|no existir|no estar aqui|"
    r"irme para siempre|desaparecer y que nadie|desaparecer y no despertar|no estar mas|"
    r"estar muert[oa]|dormir(?:me)? para siempre|dormir(?:me)? y no despertar|irme de este mundo|"
    r"dejar este mundo|quitarme de en medio|darme de baja de la vida|hacerlo(?= [,;:\-]| $)|"
    r"dejar de estar viv[oa]|no estar viv[oa]|no amanecer|dejar de respirar|no seguir respirando|seguir respirando|"
    r"colgar los tenis|estirar la pata|irme de esta vida|irme de verdad|borrarme (?:del mundo|del mapa|de la existencia)|"
    r"desaparecer (?:del mapa|de este mundo|de la tierra) para siempre|estrellarme|ya no estar(?= [,;:\-]| $)|"
    r"quedarme dormid[oa] para siempre|irme con (?:mi )?(?:abuel\w+|mama|papa|madre|padre|herman\w+|hij\w+)|"
    r"estar con (?:mi )?(?:abuel\w+|mama|papa|madre|padre|herman\w+|hij\w+) otra vez)"
)

RULES: tuple[Rule, ...] = (
    # English: explicit self-harm and suicide.
    Rule("kill myself", rf"(?:kill|kills|killing|killed|kil) {_ME}"),
    Rule("end my life", r"(?:end|ending|ended|take|taking|took) (?:my|my own) (?:own )?life"),
    Rule(
        "end it all",
        r"(?:end|ending) (?:it|everything) (?:all|for good|once and for all)|end it all|end everything",
    ),
    Rule(
        "end it",
        rf"(?:{_WANT}|thinking about|think about|thought about|ready|gonna|will|going|had enough,?) (?:to )?(?:just )?(?:end|ending) it(?= (?:{_WHEN} )?(?:[,;:\-]|$|because|so|and))",
    ),
    Rule("off myself", rf"offing {_ME}|(?:to|just|gonna|will|going to|might|should) off {_ME}"),
    Rule("unalive", r"unaliv\w*(?! (?:herself|himself|themselves|yourself))"),
    Rule("sewer slide", r"sewer ?slides?|self ?deletes?|self ?deleting"),
    Rule("ctb", r"ctb|cease to breathe"),
    Rule("commit suicide", r"(?:commit|comit|commiting|committing) suicide"),
    Rule(
        "hurt myself",
        rf"(?:hurt|hurting|harm|harming|hit|hitting|punch|punching|burn|burning|burned|burnt|cut|cutting|cuting|scratch|scratched|scratching|starve|starving) {_ME}",
        subject=False,
    ),
    Rule(
        "self harm",
        r"self ?harm\w*|s/h|sh urges?|self ?injur\w*",
        kind="mention",
        subject=True,
        context=True,
    ),
    Rule(
        "cutting again",
        r"(?:cutting|cuttin|cut|cuting) (?:again|myself|otra vez|de nuevo)|(?:been|started|relapsed and|went back to) cutting|urges? to cut|(?:i|i have) (?:cut|relapsed)(?: again)?(?= (?:last night|yesterday|today|this week|on \w+day)|$)|(?:used to )?(?:cut|cutting|self harm|self harming|hurt myself)(?: ,)? (?:and|but) (?:now )?(?:i )?(?:have )?(?:started|begun|began|relapsed)(?: again)?",
        subject=True,
    ),
    Rule(
        "on purpose",
        rf"(?:burned|burnt|burn|cut|hit|hitting|scratched|scratch|hurt|bit|punched|stabbed|bruised|pinched|picked) (?:my|{_ME}) (?:\S+ ){{0,6}}(?:on purpose|deliberately|intentionally)|(?:scratched|scratch|cut|hit|bit|picked|pulled|punched|banged) (?:my )?\S+ (?:\S+ ){{0,4}}until (?:it|they|i) (?:bled|bleed|bruised)|(?:bang|banged|banging|hit|hitting) my head (?:against|on) the wall",
    ),
    Rule(
        "in front of",
        r"(?:step|stepping|walk|walking|jump|jumping|throw myself|throwing myself|run|running|fall|falling|lie down|lying down) (?:out )?in front of (?:a|the) (?:bus|train|car|truck|subway|tram|lorry|metro)",
        subject=True,
    ),
    Rule(
        "yeet", rf"(?:yeet|yeeting|throw|throwing|fling|hurl) {_ME} (?:off|from|out of|in front of)"
    ),
    Rule("relapsed sh", r"relapsed? (?:on|with|into) (?:sh|s/h|self harm|cutting|burning)"),
    Rule("wrists", r"(?:slit|cut|cutting|slash|slashing) (?:my )?wrists?"),
    Rule(
        "hang myself",
        rf"hang {_ME}|hanging {_ME}|(?:shoot|shooting) {_ME}(?! in the (?:foot|leg))|drown {_ME}|(?:a |the )?(?:bullet|gun) (?:in|to) my (?:head|mouth)",
    ),
    Rule(
        "jump",
        r"(?:want to|going to|thinking about|thought about|could just|should just|gonna|will|plan to) (?:just )?jump (?:off|from|in front of) (?:a|the|my) (?:bridge|building|roof|train|cliff|balcony|car|bus|window)",
    ),
    Rule(
        "hit by",
        r"(?:wish|hope|hoping|pray) (?:that )?(?:a|the) (?:car|bus|truck|train) (?:would |will )?(?:hit|hits|kill|kills|run over) me|(?:wish|hope) (?:i|i would) (?:get|got) (?:hit|run over) by|plane (?:would )?crash(?:es)?(?: with me)?",
    ),
    Rule(
        "overdose",
        rf"(?:{_WANT}|thinking about|thought about|urges? to|going to|gonna|will) (?:to )?overdos\w*|overdos\w* on (?:my |all my |all of my |the )?{_PILLS}|(?:take|taking|swallow|swallowing) (?:all|a bunch|a lot|all of|every one|the whole bottle|handfuls?) (?:of )?(?:my |the )?{_PILLS}",
    ),
    Rule(
        "overdose taken",
        r"(?:just|have just|i just) (?:took|taken|had|done) (?:an |a )?overdos\w*|(?:took|taken|had|done) (?:an |a )?overdos\w*(?: (?![,;:\-])\S+){0,5} (?:just now|a few minutes ago|minutes ago|\d+ (?:minutes|mins|min|hours?) ago|an hour ago|half an hour ago|earlier today|tonight|today)",
        kind="prep",
        subject=True,
    ),
    Rule(
        "overdose mention",
        r"overdos\w*|\bod(?:ing|ed)? on",
        kind="mention",
        subject=True,
        context=True,
    ),
    # English: the wish to be dead, and not wanting to live.
    Rule(
        "want to die",
        rf"{_ADV}{_WANT} (?:to )?{_ADV}(?:die|be dead|be ded|die already|be six feet under|be in the ground|not be alive|fall asleep forever|sleep forever|go to sleep forever)(?! (?:of|from|laughing|down|out|tomorrow of))",
        subject=True,
    ),
    Rule(
        "part of me",
        rf"part of me {_ADV}(?:wants|want) to (?:die|be dead|end it|not exist|disappear)",
    ),
    Rule(
        "makes me want to die",
        r"makes? me (?:want|wanna) (?:to )?die|(?:feel|feeling|felt) like (?:dying|i want to die|i should die)",
    ),
    Rule(
        "should die",
        r"i (?:should|ought to) (?:just )?(?:die|be dead|kill myself|not be alive|not exist)|i (?:am going to|will) die (?:tonight|soon|by my own hand)",
    ),
    Rule(
        "wish dead",
        r"(?:wish|wishing|wished) (?:that )?i (?:was|were|had been|could be|would be|am) (?:dead|ded|gone|never born)|wish i (?:could )?(?:just )?die|wish i (?:had|would have) never (?:been born|existed|woken up)|wish i would never (?:been born|wake up)|wish i (?:had )?never been born|wish i would die|wish (?:i was|i were) never born",
    ),
    Rule(
        "never wake up",
        r"(?:sleep|asleep|bed) (?:and|&) (?:never|not) wake up|never wake up again|(?:not|never) (?:to )?wake up (?:tomorrow|in the morning|again|ever)|(?:hope|pray|praying|wish) (?:that )?i (?:do not|will not|would not|never) wake up|(?:want|wish) to (?:just )?(?:not wake up|never wake up)",
    ),
    Rule(
        "better off dead",
        r"better off dead|(?:be|are|would be|would all be) better (?:off )?without me|better (?:off )?if i (?:was|were|was not|were not|wasnt|had never been) (?:here|around|alive|dead|gone|born)|(?:world|everyone|everybody|they) (?:would be|is|will be) better without me",
    ),
    Rule(
        "rather be dead",
        r"(?:would )?rather (?:be )?dead|would rather die|being dead (?:would be|is|sounds) (?:easier|better)|easier if i (?:was|were) dead|(?:want|wish) to be dead",
    ),
    Rule(
        "care if i died",
        r"(?:care|notice|miss me|mind|be relieved|be glad) if i (?:died|die|was dead|were dead|was gone|were gone|disappeared|killed myself|did not wake up|never woke up)|(?:would not|wouldnt|do not|dont) (?:mind|care) (?:dying|being dead|not waking up)|(?:hit|run over|killed) by a (?:car|bus|truck|train)(?: \S+){0,8} (?:would not mind|would welcome it|welcome it|would be a relief|be a relief|would not care|be relieved|be glad|honestly be relieved)",
        negatable=False,
    ),
    Rule(
        "not want to live",
        r"(?:do not|does not|did not|dont) (?:really |even |just )?(?:want|wanna|wish) to (?:live|be alive|exist|wake up|keep living|go on living|be on this earth|stay alive|be here anymore|be here any more|be here no more|be here anymore)|(?:do not|dont) (?:want|wanna) to (?:be here|live) (?:anymore|any more|no more|in this world|on this earth)|not want to live no more|do not want to be here\. not in this life",
        negatable=False,
    ),
    Rule(
        "tired of living",
        r"(?:tired|sick|done|exhausted|weary) (?:of|with) (?:living|being alive|life|existing|my life|being me)(?! (?:like this|in this))",
    ),
    Rule(
        "no reason to live",
        r"no (?:reason|point|reasons) (?:for me )?(?:to|in) (?:live|living|go on|going on|be alive|being alive|stay alive|keep going)|nothing (?:left )?to live for|not worth living|(?:is not|isnt|not) worth (?:it )?(?:to )?live|point (?:in|of) (?:living|life|being alive|going on|staying alive)(?! (?:in|like))|why am i (?:still )?alive|why (?:should|would) i (?:keep )?(?:living|go on)",
        negatable=False,
    ),
    Rule(
        "can not go on",
        r"can not (?:go on|keep) living|can not go on (?:anymore|any more|any longer|like this)|can not live like this (?:anymore|any more)",
    ),
    Rule(
        "stop existing",
        r"(?:want|wish|wanna|need|would like|just) (?:i could )?(?:just )?(?:to )?(?:stop|cease) (?:existing|living|being alive|to exist)|(?:want|wish) (?:i did not|i could not|to not) exist|(?:not|never) (?:to )?exist (?:anymore|any more)|(?:do not|dont) want to exist",
    ),
    Rule(
        "disappear forever",
        r"(?:disappear|vanish|be gone) (?:forever|for good|permanently|and never come back)|(?:check|checking) out (?:permanently|for good|of life|early)",
    ),
    Rule(
        "not be here",
        r"(?:not|never) (?:be|being) (?:here|around|alive) (?:anymore|any more|much longer|for much longer|tomorrow|next week|after tonight)|(?:will not|wont|won't) be (?:a problem|a burden|around|here|bothering anyone) (?:for anyone |for you |to anyone )?(?:much|any) longer|(?:will not|wont) have to deal with me (?:much|any) longer|not be here anymore",
    ),
    Rule(
        "all to end",
        r"(?:want|wish|need) (?:it|this|everything|it all) (?:all )?to (?:end|stop|be over) (?:for good|forever|permanently)|(?:want|wish|need) it all to (?:end|stop|be over)|so it would all be over|(?:end|stop) (?:the|my) pain (?:for good|forever|permanently)",
    ),
    Rule(
        "suicidal",
        r"(?:feel|feeling|felt|am|was|been|get|getting|go|went|very|so|highkey|lowkey|pretty|kinda|super|quite|be|being|im) suicidal|suicidal (?:thoughts|thought|ideation|feelings|feeling|urges|again|rn|right now|today|tonight|lately|these days|for weeks|most days)|sui(?:cide)? thoughts|suicidal$|^ suicidal",
        subject=True,
    ),
    Rule(
        "suicide ideation",
        rf"(?:{_THINK}|plan|plans|planning|researching) (?:(?:a lot|lots|more|more and more|constantly|all the time|every day|daily|nonstop|again|seriously|a bunch) )*(?:about |of |on |bout )?(?:committing )?(?:suicide|killing {_ME}|ending (?:my life|it all)|taking my (?:own )?life|hurting {_ME}|dying|self ?harm\w*|jumping(?= [,;:\-]| $| off| from| in front))",
        subject=True,
    ),
    Rule(
        "suicide mention",
        r"suicide|suicidal|su?icid\w*",
        kind="mention",
        subject=True,
        context=True,
    ),
    Rule(
        "death only way",
        r"(?:only|best|easiest) (?:way out|option|answer|solution) (?:is|would be) (?:to )?(?:die|death|dying|suicide|kill myself|end it)|death (?:is|as) the only (?:way out|option|answer)",
    ),
    Rule(
        "burden die",
        r"(?:everyone|everybody|they|you|my family) (?:would|will) (?:be )?(?:happier|better|relieved|fine) (?:when|if|once) i am (?:gone|dead)|after i am gone(?= [,;:\-]| $| so| and)|when i am gone(?= [,;:\-]| $)|(?:once|after) i am dead",
    ),
    Rule(
        "deserve to die",
        r"deserve to (?:die|be dead|suffer and die|not exist)|do not deserve to (?:live|be alive|exist)",
    ),
    # English: preparation, means, place, goodbye.
    Rule(
        "pills ready",
        rf"(?:have|got|bought|saved|counted|gathered|with) (?:up )?(?:the |my |enough |all the |all my |a bunch of |a lot of |lots of )?{_PILLS}(?= (?:ready|in front of me|right here|lined up|set out|counted out|saved|saved up|stockpiled|hidden|next to me|beside me|in my hand)|(?: (?:and|to) (?:i am going to |going to |will )?(?:take|swallow)))|{_PILLS} (?:are )?(?:ready|lined up|in front of me|in my hand|next to me|beside me)|(?:stockpiling|stockpiled|hoarding|hoarded|saving up|saved up|collecting|collected|stashing|stashed) (?:up )?(?:the |my |enough |all my )?{_PILLS}|(?:taking|take|swallow|swallowing) them (?:all )?{_WHEN}|(?:have|got) (?:the |my |all my |enough )?{_PILLS} (?:and|,) (?:it is|its) time",
        kind="prep",
    ),
    Rule(
        "took pills",
        rf"(?:just )?(?:took|take|taken|swallowed) (?:a bunch|a lot|all|a handful|handfuls|too many|loads|heaps|the whole bottle|all of|every one|\d+) (?:of )?(?:my |the |those )?{_PILLS}|have taken (?:all|a lot) (?:of )?(?:my )?{_PILLS}",
        kind="prep",
    ),
    Rule(
        "not safe",
        r"i am not safe(?= (?:right now|now|tonight|today|alone|with myself|around myself|anymore)| [,;:\-]| $)|"
        r"i do not feel safe (?:with|around|from) myself|"
        r"(?:scared|afraid|frightened|terrified) of what i (?:might|will|could|am going to|may) do (?:to myself|tonight|right now)",
        subject=True,
    ),
    Rule(
        "poison",
        r"(?:drank|drunk|swallowed|took|drinking|swallowing) (?:some |the |half the |half a bottle of |a bottle of |a cup of |a glass of )?(?:bleach|antifreeze|rat poison|weed killer|drain cleaner)",
        subject=True,
    ),
    Rule(
        "rope",
        rf"(?:have|got|bought|buy|tied|tying|getting|made) (?:a |the |my )?(?:rope|noose){_EN_END}|(?:tied|tying|made) (?:a |the )?noose|(?:rope|noose) (?:is )?back out|(?:got|get|getting|took|have) (?:the |my )?(?:rope|noose) out again",
        kind="prep",
    ),
    Rule(
        "note",
        rf"(?:wrote|written|writing|write|left|finished) (?:my |a |the )?(?:suicide|goodbye|farewell|last|final) (?:note|notes|letter|letters|message)|(?:wrote|written|finished|write) my note{_EN_END}|(?:wrote|written|finished) (?:the |my )?(?:goodbye )?letters (?:for|to) (?:my )?(?:family|everyone|kids|children|parents|mom|dad|loved ones)",
        kind="prep",
    ),
    Rule(
        "goodbye",
        rf"this (?:is|will be) (?:my )?(?:final |last )?goodbye{_EN_END}|(?:final|last) goodbye|goodbye (?:everyone|everybody|world|forever|all)(?= [,;:\-]| $| i am| i will)|(?:this is|this will be) (?:the|my) last (?:message|text|homework|entry|thing) (?:you will|you will ever|you'll) (?:get|hear|read|receive) from me|last (?:message|text) (?:you will|you'll) (?:ever )?(?:get|receive) from me|this (?:is|will be) my last (?:message|text|homework|entry){_EN_END}|(?:you|they) (?:will not|wont) (?:hear from|see) me again",
        kind="prep",
    ),
    Rule(
        "place",
        rf"i am (?:at|on|standing on|sitting on|on top of|at the top of|near|by) (?:the |a )?(?:bridge|roof|rooftop|edge|ledge|tracks|train tracks|railway|cliff|top of the building|balcony edge)(?: of (?:my|the|a|our) (?:building|house|apartment|block|school|work|office|hospital|parking garage|car park|bridge))?{_EN_END}",
        kind="prep",
    ),
    Rule(
        "be gone",
        r"(?:by the time|when) (?:you|anyone|someone|they) (?:read|reads|see|sees|find|finds|get|gets) this(?: ,)? i (?:will|would|am going to) (?:be gone|be dead|not be here|not be alive|already be gone)|i will (?:be gone|be dead|not be (?:here|alive|around)) (?:by|before) (?:morning|tomorrow|the time)",
        kind="prep",
    ),
    Rule(
        "giving away",
        r"(?:gave|giving|give|given) away (?:all )?(?:of )?my (?:things|stuff|belongings|possessions|pets)|(?:gave|giving|give|given) (?:all )?my (?:things|stuff|belongings|possessions) away|so nobody has to (?:sort through|deal with|clean up) (?:them|it|anything|my stuff) after",
        kind="prep",
    ),
    Rule(
        "everything i need",
        r"(?:have|got) everything i need to (?:end it|do it|die|go through with it|kill myself)|(?:going|ready) to go through with it|(?:tonight|today) is the (?:night|day)(?: i end it| i do it)?(?= [,;:\-]| $)|it is happening (?:on|this|tonight|tomorrow)",
        kind="prep",
    ),
    Rule(
        "doing it when",
        r"do it (?:this weekend |tonight |tomorrow )?when (?:everyone|nobody|no one|they) (?:is|are|has|have) (?:away|gone|out|asleep|left)",
        kind="prep",
    ),
    Rule(
        "doing it tonight",
        rf"(?:i am|i will|going to|gonna|am going to) (?:do it|doing it){_EN_END}|(?:i am|i will be|going to) (?:do it|doing it) {_WHEN}|tonight is it|i am ready(?= (?:now )?(?:[,;:\-]|$))|it is time(?= [,;:\-]| $)|(?:have|i have|i've|i) decided(?= [,;:\-]| $)",
        kind="weak",
    ),
    Rule(
        "plan weak",
        r"not (?:going to be|be) (?:here|around|alive) for (?:our|the|my) next (?:session|appointment)|(?:made|have|got|finished) (?:my|a|the) plan(?= [,;:\-]| $| and)|picked (?:the|a) (?:date|day)|(?:final|last) homework|wrote (?:my|a) will|(?:made|updated) my will|(?:it is|it will be) (?:this|on) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)",
        kind="weak",
    ),
    Rule(
        "bare goodbye",
        r"(?:goodbye|bye forever|farewell)(?= [,;:\-]| $)|(?:sorry|i am sorry) for (?:everything|being a burden|all of it)|thank you for (?:everything|trying|all you did)(?= [,;:\-]| $)|(?:do not|dont) (?:look for|try to find) me|(?:deleted|deleting) (?:my|all my) (?:socials|accounts|social media)|gave (?:my|away my) (?:cat|dog|pets?) to|(?:disconnect|disconnecting|logging off|signing off) (?:for good|forever|permanently)",
        kind="weak",
    ),
    Rule(
        "not alive",
        r"(?:want|wanting|wish|wishing|wished|would like|could) (?:i could )?(?:just )?(?:to )?not (?:be alive|be here|exist|live|wake up)|not (?:wanting|want) to (?:be alive|live|exist|be here)|(?:disappointed|sad|angry|upset|annoyed|devastated) (?:that |to be |i am |to )?(?:still )?(?:alive|here|breathing|wake up|woke up)|alive against my will|another day (?:of being|i am) alive(?= [,;:\-]| $)",
    ),
    Rule(
        "death sounds",
        r"(?:dying|death|being dead|not existing|not being alive|not waking up|to die|to not exist) (?:sounds|feels|seems|would be|is|looks) (?:so |like |really |kind of |pretty |more and more )*(?:peaceful|nice|good|like a relief|a relief|like relief|like a vacation|a vacation|like rest|an option|always an option|the answer|tempting|appealing|comforting)",
    ),
    Rule(
        "hope to die",
        r"(?:hope|wish|pray|praying|hoping) (?:that )?(?:i|i will|i would|i do not|i will not|i never) (?:die|do not survive|do not make it|never wake up|do not wake up|get sick and die|die in my sleep|will not survive|not survive)|hope i (?:do not|don't) (?:survive|make it|wake up|live)|(?:welcome|would welcome|hope for|hoping for|wish for|pray for) (?:a |the )?(?:heart attack|stroke|aneurysm|death|car crash|fatal accident)|(?:hope|wish|pray) (?:that )?(?:the |my |a )?(?:plane|bus|car|train) (?:goes down|crashes|crash|hits me)|(?:hope|wish|pray) (?:that )?(?:the |my )?cancer (?:comes back|returns|gets me)|so (?:that )?i (?:do not|don't) have to do it myself|let me (?:just )?die|give me permission to die|(?:might|may) as well (?:\S+ ){0,4}(?:die|be dead|end it|kill myself)",
    ),
    Rule(
        "metaphor",
        r"(?:log|logging|logged|clock|clocking|sign|signing|rage quit|rage quitting|rage quits|quit|quitting|tap|tapping|bow|bowing) (?:off |out |quit )?(?:of )?(?:life|existence|this life|this world)(?= [,;:\-]| $| permanently| for good| forever| for real| altogether| early)|(?:delete|deleting|erase|erasing|remove|removing|unsubscribe|unsubscribing) (?:myself|me) from (?:existence|life|the world|this world|the earth|this earth)|(?:get|getting) off (?:this ride|the ride|the world|this planet|the planet|this earth)|(?:want|wanting|keep wanting) to get off(?: -)? permanently|(?:finish|finishing) the job(?= [,;:\-]| $)|make it official and die|(?:trade|switch) places with (?:anyone|someone|somebody) (?:in a coffin|in the ground|who is dead|dead)|(?:picturing|picture|imagining|imagine|fantasi[sz]e|fantasi[sz]ing|dreaming about|thinking about) my (?:own )?funeral|(?:want|wanna|ready) (?:\S+ )?out of this life|disappear from (?:this|the) (?:earth|world|planet) (?:and not come back|forever|for good|permanently)",
    ),
    Rule(
        "purpose",
        r"(?:burn|burned|burnt|burning|cut|cutting|hit|hitting|punch|punched|punching|scratch|scratched|scratching|bit|bite|biting|bang|banged|took more|take more|taking more|took extra|starve|starving|starved) (?:\S+ ){0,10}(?:on purpose|deliberately|intentionally|to feel something|to feel anything|to punish myself|because i deserve\w*|so nobody sees)|punishing myself by (?:burning|cutting|hitting|scratching|starving)|(?:used|grabbed|got out|took out) the (?:razor|blade|knife|razors|blades)(?= [,;:\-]| $| again| on| out| last)|(?:razor|blade|knife|razors|blades) (?:is |are )?(?:next to me|beside me|in my hand|in front of me)|(?:arms?|legs?|thighs?|wrists?) (?:look|looks|looking) like (?:a )?barcode|(?:scratched|cut|hit|bit|picked|pulled|punched|banged) (?:my )?\S+ (?:\S+ ){0,4}until (?:it|they|i) (?:bled|bleed|bruised)",
    ),
    Rule(
        "relapse cutting",
        r"relaps\w*|blew it|slipped up",
        also=r"(?:cutting|cut|self harm|sh|burning)(?= )",
    ),
    Rule(
        "be with the dead",
        r"(?:want|wanna|wish|need) (?:to )?(?:just )?be with (?:my )?(?:mom|mum|mother|dad|father|grandma|grandmother|grandpa|brother|sister|son|daughter|wife|husband|partner|friend|baby|him|her) again|(?:see|join) (?:my )?(?:mom|mum|dad|grandma|grandpa|brother|sister|son|daughter|wife|husband|baby) again",
        also=r"(?:passed|died|passed away|in heaven|is gone|was killed|funeral)(?= )",
    ),
    Rule(
        "jump",
        r"(?:going to|gonna|will|want to|about to|ready to|decided to|plan to|planning to|intend to) jump(?= [,;:\-]| $| tonight| now| today| off| from)|jumping off (?:the|a|my) (?:roof|bridge|building|balcony|cliff|ledge|overpass)|(?:saying|says|tells me to|telling me to) \"? ?jump|(?:desire|will|reason|reasons|wish) to (?:live|keep living)(?: \S+){0,6} (?:0|0/10|zero|none)(?= [,;:]| $)",
        subject=True,
    ),
    Rule(
        "nicer not alive",
        r"(?:nice|better|easier|good|peaceful|a relief) (?:it would be |would it be |it would be to |to )?(?:to )?(?:not be alive|not exist|be dead|not wake up|die|just disappear)(?= [,;:\-]| $)|(?:button|pill|switch|spell) (?:to|that would|that could) (?:make me )?(?:stop existing|end it all|end my life|disappear forever|make me not exist)|(?:stay|stayed|staying) asleep forever|(?:stay|stayed|staying) asleep and never wake",
    ),
    Rule(
        "why stay",
        r"(?:do not|can not) see (?:why|the point|a reason) (?:i should |to |in )?(?:stay|staying|keep going|go on|be) (?:here|alive|around)",
        negatable=False,
    ),
    Rule(
        "going to the bridge",
        r"(?:going|heading|driving|walking|on my way) (?:to|up to) (?:the|a) (?:bridge|roof|rooftop|tracks|cliff)(?= [,;:\-]| $| after| now| tonight| right now)",
        kind="prep",
    ),
    # Spanish: explicit self-harm and suicide.
    Rule(
        "es quiero morir",
        rf"(?:me )?{_ES_WANT} (?:ya )?(?:de )?{_ES_SELF}",
        language="es",
        subject=True,
    ),
    Rule(
        "es me quiero",
        r"me (?:quiero|quisiera|queria|voy a|gustaria|dan ganas de|dieron ganas de) (?:morir|matar|suicidar|quitar la vida|hacer dano|cortar|lastimar|ahorcar|pegar un tiro|tirar (?:del|de un|por|al|bajo)|quemar|ir para siempre|morir ya|tomar (?:todas )?(?:las|mis) (?:pastillas|remedios|medicamentos)|quitar de en medio|ir de este mundo|dar de baja de la vida|dormir para siempre)(?! (?:el|la|los|las|un|una|mi|mis) )",
        language="es",
    ),
    Rule(
        "es me mato",
        r"me (?:mato|suicido|quito la vida|pego un tiro|tiro (?:del|de un|de una|por la|por el|al|bajo) (?:puente|balcon|ventana|edificio|tren|metro|techo|terraza|azotea|auto|coche|camion|vias)|ahorco|corto las venas)(?! (?:estudiando|trabajando|corriendo|entrenando|de risa|a trabajar|a estudiar|de la risa))",
        language="es",
    ),
    Rule(
        "es suicidarme",
        r"suicidarme|me suicide|me suicidare|suicidarte yo|ideas? suicidas?|pensamientos? suicidas?|ideacion suicida|(?:soy|estoy|me siento|sentirme|sentia) suicida|intento de suicidio|intentos de suicidio",
        language="es",
        subject=True,
    ),
    Rule(
        "es no quiero vivir",
        r"no (?:quiero|kiero|deseo|tengo ganas de) (?:seguir )?(?:vivir|viviendo|viv[oa]|respirando|respirar|estar (?:viva|vivo|aqui)(?: mas| nunca mas)?|existir|despertar|estar en este mundo|seguir en este mundo|seguir aqui|seguir con vida|vivir mas)|ya no (?:quiero|puedo) (?:seguir )?(?:vivir|viviendo|estar (?:viva|vivo)|existir)|no puedo seguir viviendo|no quiero (?:mas|seguir) (?:la|esta|mi) vida",
        language="es",
        negatable=False,
    ),
    Rule(
        "es sin sentido",
        r"no (?:le )?(?:encuentro|veo|tiene|hay) (?:ningun )?sentido (?:a |en )?(?:vivir|la vida|seguir viviendo|seguir vivo|seguir viva|estar vivo|estar viva)|(?:vivir|la vida) no (?:tiene sentido|vale la pena)|no vale la pena (?:vivir|seguir viviendo|seguir vivo|seguir viva)|no tengo (?:razones|razon|motivos|motivo|nada|nadie) (?:para|por (?:lo )?(?:que|quien)) vivir|nada por lo que vivir",
        language="es",
        negatable=False,
    ),
    Rule(
        "es mejor sin mi",
        r"(?:estarian|estaria|estarias|estaran|seria|serian|estarian todos|vivirian) (?:mucho )?mejor sin mi|mejor (?:si )?(?:estuviera|estoy|estar) (?:muert[oa])|(?:estaria|estoy|seria|estariamos) mejor muert[oa]|mejor muert[oa](?= [,;:\-]| $)|sin mi (?:estarian|todo seria) mejor",
        language="es",
    ),
    Rule(
        "es ojala muerto",
        r"ojala (?:me )?(?:durmiera|quedara dormid[oa]|dormir) y no (?:despertara|despertar|volviera a despertar)|ojala (?:me )?(?:estuviera|estar|estuviese|fuera|me muera|me muriera|me muriese|me muera ya|me muriera ya|muriera|no despertar|no despertara|no despierte|no despertase|no hubiera nacido|no haber nacido|no existiera|no existir|desaparecer|me atropelle|me atropellara|un auto me|un coche me|un camion me)(?: muert[oa])?|desearia (?:no haber nacido|estar muert[oa]|morirme|no despertar|no existir)|(?:quiero|quisiera|desearia) (?:dormirme|dormir|acostarme) y no (?:despertar|despertarme)|no despertar (?:nunca|mas|manana|jamas)",
        language="es",
    ),
    Rule(
        "es hasta sangrar",
        r"me (?:pegue|golpee|pego|golpeo|rasque|rasgue|arane|mordi|queme|corte|lastime) (?:\S+ ){0,6}(?:hasta (?:que )?(?:me )?(?:dolio|sangro|sangrar|sangre|hacerme dano|sacarme sangre)|a proposito|adrede)|(?:me )?(?:pegue|golpee|pego|golpeo|darme|dandome) (?:con )?(?:la cabeza )?contra la pared",
        language="es",
    ),
    Rule(
        "es self harm",
        r"me (?:volvi a cortar|volvi a lastimar|volvi a hacer dano|volvi a quemar)|volvi a (?:cortarme|lastimarme|hacerme dano|quemarme|autolesionarme)|me (?:corte|corto|queme|quemo|lastime|lastimo|hice dano|hago dano|golpee|pegue) (?:otra vez|de nuevo|a proposito|adrede|anoche|ayer|hoy|los brazos|el brazo|las piernas|la pierna|las munecas|la muneca|en el brazo|en los brazos|en las piernas)|me (?:corte|corto|lastime|hice dano|hago dano)(?= [,;:\-]| $)|autolesion\w*|me autolesiono|(?:empece|comence|he empezado) a (?:cortarme|autolesionarme|lastimarme|hacerme dano|quemarme)|me (?:corto|lastimo|hago dano|quemo) (?:todos los dias|cada dia|cada semana|cada noche|desde)",
        language="es",
        subject=True,
        context=True,
    ),
    Rule(
        "es pegarme un tiro",
        r"pegarme un tiro|meterme un tiro|tirarme (?:del|de un|de una|por la|por el|al|bajo (?:el|un)) (?:puente|balcon|ventana|edificio|tren|metro|techo|terraza|azotea|vias|piso)|ahorcarme|colgarme de|cortarme las venas|tomarme (?:todas )?las pastillas|sobredosis (?:de|con) (?:mis )?(?:pastillas|medicamentos|remedios)",
        language="es",
    ),
    Rule(
        "es mejor si muriera",
        r"(?:estarian|estaria|seria|serian|estariamos) (?:todos )?(?:mucho )?mejor si (?:yo )?(?:me muriera|muriera|no estuviera|desapareciera|no existiera|me fuera para siempre|me matara)|(?:extranaria|extranarian|importaria|notaria|notarian|daria cuenta|darian cuenta) (?:\S+ )?si (?:yo )?(?:me muero|me muriera|muriera|desapareciera|no estuviera|me mato|me matara)|(?:si me (?:atropellara|atropella|muriera|muero)|morirme|no despertar)(?: \S+){0,6} (?:seria|es) (?:un alivio|lo mejor|mejor)|no merezco (?:vivir|estar viv[oa]|existir|seguir viv[oa])|(?:preferiria|prefiero) (?:estar muert[oa]|morir|morirme)",
        language="es",
        negatable=False,
    ),
    Rule(
        "es muerte",
        r"(?:pienso|pensando|penso) en la muerte como|(?:pienso|pensando|penso) (?:\S+ ){0,2}en la muerte(?: \S+){0,8} (?:me da paz|quiero que llegue|me calma|me tranquiliza|me atrae)|la muerte (?:es|seria|como) (?:la )?(?:unica|mejor) (?:salida|opcion|solucion)",
        language="es",
    ),
    Rule(
        "es cansado de vivir",
        r"(?:cansad[oa]|hart[oa]|agotad[oa]) de (?:vivir|estar viv[oa]|existir|la vida|mi vida)(?! (?:asi|en))",
        language="es",
    ),
    # Spanish: preparation, means, place, goodbye.
    Rule(
        "es pastillas",
        r"(?:juntando|guardando|acumulando|junte|guarde|acumule) (?:mis |las )?(?:pastillas|medicamentos|remedios)|me las (?:tomo|voy a tomar|tome) todas|ya tengo (?:las|mis|todas las|suficientes) (?:pastillas|remedios|medicamentos)|tengo (?:las|mis|todas las|suficientes) (?:pastillas|remedios|medicamentos) (?:en la mano|listas|preparadas|juntadas|guardadas|juntas|aca|aqui|conmigo)|(?:junte|guarde|junto|guardo|acumule|acumulo) (?:pastillas|remedios|medicamentos)|me (?:acabo de tomar|tome|tomo) (?:un monton|muchas|todas|varias|una caja|un frasco) (?:de )?(?:las |mis )?(?:pastillas|remedios|medicamentos)",
        language="es",
        kind="prep",
    ),
    Rule(
        "es pastillas tomadas",
        r"me (?:tome|he tomado|trague) (?:\d+|todas las|todas mis|un monton de|muchas|un puñado de|la caja de|el frasco de|el bote de) (?:pastillas|pildoras|capsulas)|"
        r"(?:me tome|tome|bebi|me bebi|trague) (?:el |la |un poco de |medio bote de )?(?:lejia|cloro|veneno|matarratas|anticongelante)|"
        r"no estoy a salvo|no me siento a salvo (?:conmigo|de mi)|(?:miedo|terror) de lo que (?:me (?:pueda|pudiera|vaya a) hacer|(?:pueda|pudiera|vaya a) hacerme)",
        language="es",
        kind="prep",
    ),
    Rule(
        "es sobredosis tomada",
        r"(?:me acabo de tomar|acabo de tomarme|acabo de tomar) una sobredosis|(?:me tome|me he tomado|tome) una sobredosis (?:hace (?:un rato|un momento|poco|\d+ (?:minutos|min|horas?)|una hora|media hora)|esta noche|hoy|recien|ahorita)|(?:hace (?:un rato|un momento|poco|\d+ (?:minutos|min)|una hora|media hora)|recien|ahorita) me (?:tome|he tomado) una sobredosis",
        language="es",
        kind="prep",
        subject=True,
    ),
    Rule(
        "es sobredosis",
        r"sobredosis",
        language="es",
        kind="mention",
        subject=True,
        context=True,
    ),
    Rule(
        "es soga",
        r"(?:compre|tengo|consegui|ya tengo) (?:una |la )?(?:soga|cuerda)(?= [,;:\-]| $| para (?:esta noche|hoy|manana|colgarme|ahorcarme))",
        language="es",
        kind="prep",
    ),
    Rule(
        "es lugar",
        r"(?:estoy|ya estoy|me encuentro) (?:en|arriba de|sobre) (?:el|la|las) (?:puente|techo|tejado|borde|azotea|cornisa|vias|terraza)(?: de (?:mi|un|el|la|este) (?:edificio|casa|trabajo|departamento|depto|piso|hospital|escuela|facultad))?(?= [,;:\-]| $| ahora)",
        language="es",
        kind="prep",
    ),
    Rule(
        "es ya no estoy",
        r"(?:manana|esta noche|hoy|el (?:lunes|martes|miercoles|jueves|viernes|sabado|domingo)) ya no (?:estoy|voy a estar|estare)|cuando (?:leas|lean|veas|vean|leeas) esto(?: ,)? (?:ya )?(?:no voy a estar|no estare|estare muert[oa]|ya no estoy)|para cuando (?:ya )?no (?:este|estare)|regale (?:todas )?mis (?:cosas|pertenencias)",
        language="es",
        kind="prep",
    ),
    Rule(
        "es despedida",
        r"carta de despedida|cartas de despedida|esto es una despedida|es (?:mi|una) despedida(?= [,;:\-]| $)|(?:es|este es|sera) mi ultimo mensaje|mi ultima tarea(?= [,;:\-]| $)|adios para siempre|no me busquen|ya regale (?:mis cosas|todo|mis pertenencias)|no (?:las|los|lo) voy a necesitar mas|no (?:las|los|lo) voy a necesitar(?= [,;:\-]| $)|(?:ya )?tengo todo (?:preparado|listo|planeado) para (?:esta noche|hoy|manana|el \w+)",
        language="es",
        kind="prep",
    ),
    Rule(
        "es esta noche",
        r"(?:esta noche|hoy|manana|el (?:lunes|martes|miercoles|jueves|viernes|sabado|domingo)|este fin de semana|ahora) (?:me (?:mato|suicido|quito la vida|voy(?= [,;:\-]| $))|lo hago(?= [,;:\-]| $)|termino con (?:esto|todo|mi vida))",
        language="es",
        kind="prep",
    ),
    Rule(
        "es weak",
        r"hoy es el dia(?= [,;:\-]| $)|ya escribi la carta|deje (?:todo|las cosas) (?:ordenado|en orden|listo)|la carta en la mesa|escribi (?:unas |una )?cartas? (?:a|para) (?:mis|mi) (?:hijos|hijas|padres|familia|mama|papa|hermanos?|hermanas?|pareja)|(?:ya )?no voy a (?:ir|estar) (?:a|en) la (?:proxima|siguiente) (?:sesion|cita)|adios a todos|perdon por todo|perdonenme|gracias por todo(?= [,;:\-]| $)|(?:hoy|esta noche) termino con esto|ya lo decidi|lo hago(?= [,;:\-]| $)|ya es hora(?= [,;:\-]| $)|esta noche me voy(?= [,;:\-]| $)",
        language="es",
        kind="weak",
    ),
    Rule(
        "es metaforas",
        r"(?:que ganas de|quiero|quisiera|ya me quiero) (?:\S+ ){0,3}(?:colgar los tenis|estirar la pata|irme de esta vida)|que se acabe (?:ya )?mi vida|(?:para que|por que) sigo viv[oa]|(?:decepcionad[oa]|triste|enojad[oa]) de (?:seguir|estar|despertar) viv[oa]|me da igual (?:si )?(?:me muero|morir|morirme|vivir o morir)|si (?:manana|hoy|esta noche) me muero(?: ,)? (?:mejor|que bueno|ojala)|(?:rezo|pido|ruego) (?:a dios )?(?:para |por )?no despertar|(?:dejando(?:me)?|me dejo|me estoy dejando) morir|(?:dejame|dejenme|que me deje) morir|morir(?:me)? (?:suena|se siente|parece|seria) (?:tan |muy |como )?(?:tranquilo|bien|un alivio|un descanso|una opcion|paz)|cada (?:dia|vez) falta menos para morir(?:me)?|(?:fantaseo|sueno|imagino|pienso) (?:con|en) mi (?:propio )?funeral|(?:lo unico que|solo) (?:me )?(?:detiene|frena|impide) (?:de |para )?(?:matarme|suicidarme|hacerlo)|ojala (?:me )?(?:diera|de|agarre) (?:un infarto|cancer|un ataque)|ojala (?:esta noche )?se me pare el corazon|para no tener que hacerlo yo|me (?:desconecto|voy) para siempre",
        language="es",
        negatable=False,
    ),
    Rule(
        "es lastimarme",
        r"(?:me )?(?:volvi a |sigo |estoy )?(?:marcar|marque|marcando|hacer cortes|hice cortes|haciendo cortes|cortandome|quemando|quemandome)(?: \S+){0,3} (?:los brazos|el brazo|las piernas|la pierna|la muneca|las munecas|la piel)|(?:sigo|estoy) cortandome|me (?:volvi a )?(?:hacer|hice|hago) cortes|(?:brazos|piernas) (?:hechos|hechas|como) (?:un )?codigo de barras|(?:quem\w*|cort\w*|golpe\w*|pegu\w*|rasgu\w*|aran\w*|tome mas|tomar mas|matando de hambre|muerd\w*) (?:\S+ ){0,10}(?:a proposito|adrede|para calmarme|para castigarme|porque merezco|para sentir algo|para no sentir)|(?:agarre|saque|use|tengo) la (?:navaja|cuchilla|gillette|hoja de afeitar)(?= [,;:\-]| $| otra vez| al lado| en la mano| un rato)|hasta sangrar",
        language="es",
    ),
    Rule(
        "es irse",
        r"me (?:quiero|quisiera) ir con (?:mi )?(?:abuel\w+|mama|papa|madre|padre|herman\w+|hij\w+)|irme de verdad(?: ,)? de esta vida|irme de esta vida|(?:me )?(?:canse|harte|agote|estoy cansad[oa]|estoy hart[oa]) de (?:vivir|estar viv[oa]|existir)|(?:pienso|pensando|penso) en (?:volantear|estrellarme|chocar el auto|chocar el carro)|ojala (?:me )?(?:terminara de morirme|me muriera|muriera ya)|(?:boton|pastilla|interruptor) (?:para|que me haga) (?:dejar de existir|no existir|desaparecer)|(?:quedarme|quedarse) dormid[oa] para siempre",
        language="es",
    ),
    Rule(
        "es recaida",
        r"reca[iy]\w*",
        also=r"(?:cortarme|cortes|cortando|me corte|autolesion\w*|quemarme|volvi a hacerlo)(?= )",
        language="es",
    ),
    Rule(
        "es saltar",
        r"(?:me voy a|voy a) (?:tirar|saltar)(?= [,;:\-]| $| hoy| ahora| esta noche)|hoy salto|salto hoy|tirarme (?:de|desde) (?:la|el) (?:azotea|techo|puente|balcon|edificio|terraza)|(?:me dice|dice) \"? ?salta|(?:ganas|deseo) de vivir(?: \S+){0,4} (?:0|0/10|cero)(?= [,;:]| $)",
        language="es",
    ),
    Rule(
        "es puente",
        r"(?:me voy|voy) (?:al|a la) (?:puente|azotea|techo|vias)(?= [,;:\-]| $| ahora| ya)|(?:borre|borrando) (?:mis|todas mis) (?:redes|cuentas)|regale (?:mi|a mi) (?:gato|perro|mascota)|ya escribi la nota|(?:solo )?espero a que (?:todos|todo el mundo) se (?:duerma|duerman)",
        language="es",
        kind="weak",
    ),
    Rule(
        "intrusive",
        r"(?:thought|thoughts|voice|voices|head|brain|mind) (?:\S+ ){0,4}(?:\" ?|saying |says |tells me to |telling me to )(?:just )?(?:kill yourself|kys|die|end it|jump)|(?:picturing|imagining|imagine|picture|see|seeing|visuali[sz]ing) myself (?:hanging|dead|jumping|dying|in a coffin|on the tracks|with a rope)|looking forward to(?: \S+){0,10} (?:is |was )?(?:dying|death|being dead|not waking up)(?= [,;:\-]| $)|(?:i am|i'm) (?:just )?(?:ending|going to end) it(?= [,;:\-]| $| tonight| today| now| on| this)|(?:swerv\w*|crash\w*|driv\w*|steer\w*) (?:\S+ ){0,4}(?:into|off) (?:a |the )?(?:tree|wall|truck|bridge|cliff|oncoming|traffic|lorry|river)(?: \S+){0,4} (?:and )?(?:end|ending|die|dying) it|(?:wish|wishing|wished|hope|hoping) (?:that )?i (?:would|could|will) (?:just )?die|until (?:\S+ ){0,2}(?:bled|bleed|bruised|broke)(?= [,;:\-]| $| because| so| i wanted)|(?:wanted|want|needed) it to hurt(?= [,;:\-]| $)",
    ),
    Rule(
        "holding pills",
        r"(?:holding|staring at|looking at|counting) (?:the|my|a) (?:pill )?(?:bottle|pills|blister)",
        also=r"(?:pills|meds|tablets|bottle)(?= )",
        kind="prep",
    ),
    Rule(
        "es intrusivo",
        r"(?:pensamiento|pensamientos|voz|voces|cabeza|mente) (?:\S+ ){0,4}(?:\" ?|me dice |que me dice )(?:que me )?(?:matate|suicidate|muerete|mate|muera|suicide|mata)|(?:me dice|me dicen|me pide) que me (?:mate|suicide|muera|tire)|me imagino (?:colgandome|muert[oa]|ahorcad[oa]|tirandome|saltando|en un ataud)|(?:espero con ganas|lo que espero)(?: \S+){0,10} (?:es )?(?:morirme|morir|la muerte)(?= [,;:\-]| $)|(?:estarian|estaria|seria) (?:todos )?mejor si (?:yo )?estuviera muert[oa]|quiero que (?:todo )?se (?:acabe|termine) para siempre|(?:volvi a |sigo )?(?:hacerme|me hice|me hago|me volvi a hacer) cortes",
        language="es",
    ),
    Rule(
        "es preparacion",
        r"(?:junte|guarde|acumule|tengo|ya tengo) (?:suficientes|muchas|todas las|varias) (?:pastillas|medicamentos|remedios)|el (?:lunes|martes|miercoles|jueves|viernes|sabado|domingo) me las tomo|me las tomo(?= [,;:\-]| $)|(?:compre|tengo|consegui|ya tengo) (?:una |la )?(?:soga|cuerda) y (?:se|ya)|(?:tengo|agarre) la (?:navaja|cuchilla|gillette) (?:aqui|aca|conmigo)|cuando (?:yo )?ya no (?:este|estare)(?= [,;:\-]| $)",
        language="es",
        kind="prep",
    ),
    Rule(
        "es debil",
        r"(?:deje|escribi) (?:unas |una )?cartas? (?:a|para) (?:mis|mi) (?:hijos|hijas|padres|familia|mama|papa|hermanos?|hermanas?|pareja)|perdonen todo|no voy a (?:ir|estar|llegar) (?:a|en) la (?:proxima|siguiente) (?:sesion|cita)|(?:hice|escribi) mi testamento|(?:ya )?(?:casi )?es hora(?= [,;:\-]| $)|se lo que voy a hacer|(?:hoy|esta noche|manana) lo voy a hacer|(?:hoy|esta noche|hoy en la noche|manana) voy al (?:puente|techo|edificio)",
        language="es",
        kind="weak",
    ),
    Rule(
        "en weak",
        r"(?:saturday|sunday|monday|tuesday|wednesday|thursday|friday|tomorrow|tonight|today) is the day(?= [,;:\-]| $)|(?:made up my mind|i have decided|i've decided)(?= [,;:\-]| $)",
        kind="weak",
    ),
    Rule(
        "weapon on myself",
        r"(?:use|using|turn|turning|point|pointing|aim|aiming) (?:it|the gun|a gun|the knife|a knife|the blade|a blade|the razor) (?:on|at) myself|(?:usarla|usarlo|apuntarme|usar (?:el arma|la pistola|el cuchillo|la navaja)) contra mi",
    ),
    Rule(
        "drive into",
        r"(?:want|wanna|thinking|think|thought|plan|planning|going|gonna|decided|tempted|fantasi\w+|keep|urge)(?: \S+){0,5} (?:drive|driving|crash|crashing|steer|steering|swerve|swerving|run|running) (?:my car |the car |myself )?(?:off the road |off a bridge )?(?:into|off) (?:a |the )?(?:tree|wall|truck|bridge|cliff|river|oncoming traffic|lake|sea|ocean|pole|road)",
        subject=True,
    ),
    Rule(
        "es manejar",
        r"(?:quiero|pienso en|pensando en|ganas de|planeo|voy a)(?: \S+){0,3} (?:estrellar(?:me)?|chocar(?:me)?|tirar(?:me)?) (?:el auto |el carro |el coche )?(?:contra|por|al) (?:un |una |el |la )?(?:arbol|pared|camion|puente|barranco|rio|precipicio)",
        language="es",
    ),
)

IDIOMS: tuple[str, ...] = (
    rf"(?:kill|kills|killing|killed) {_ME} (?:laughing|with laughter|to (?:finish|get|make|meet|keep|pay|please|study|pass))",
    r"(?:kill|killing|killed) {_ME} (?:at|in) (?:the gym|work|training|practice)".replace(
        "{_ME}", _ME
    ),
    r"(?:die|died|dying|dead) (?:of|from) (?:embarrassment|laughter|laughing|shame|boredom|cuteness|envy|jealousy|excitement|curiosity)",
    r"(?:thought|felt like|was sure|swore) i (?:was going to|would|am going to|might|was gonna) die|(?:am|was) going to die (?:of|from)|"
    rf"overdos\w* on (?!(?:my |the |all |all my |a bunch of |some |too many |a lot of |his |her |their )?(?:{_PILLS}|drugs|heroin|fentanyl|opioids|insulin|alcohol|pain ?killers))\S+|"
    r"me (?:queme|corte|lastime|hice dano|quemo|corto)(?: \S+){0,8} (?:horno|bandeja|sarten|plancha|olla|cocinando|cocina|haciendo \S+|sin querer|por accidente|accidentalmente|picando|afeitandome|nada grave|jugando)|"
    r"cartas? de despedida (?:a|para) (?:mi|mis|la|el|nuestr\w+) (?:compa\w+|jef\w+|profe\w*|vecin\w+|colega\w*|amig\w+|maestr\w+)|"
    r"(?:senti|sentia|pense|crei|creia) que me (?:iba a|voy a) morir|"
    r"(?:rather|sooner) (?:die|be dead) than (?!(?:keep|go through|go on|live|living|feel|feeling|be|being|face|spend|wake|another|this|that|suffer|continue|stay|carry)\b)\S+|"
    r"prefiero morir(?:me)? (?:antes )?que (?!(?:seguir|vivir|sentir|pasar|aguantar|estar)\b)\S+|"
    r"(?:embarrassed|mortified|humiliated|ashamed)(?: \S+){0,3} (?:i )?(?:wanted to|could have|could|almost|nearly) (?:just )?died?|"
    r"end (?:it all|everything|the day|the night|the week|the year) with|"
    r"died laughing|dying (?:to|for)|(?:is|are|was|were|be|looks|look) to die for|could (?:just )?die|die a little|dead (?:tired|set|serious|sure|inside\b)",
    r"(?:cut|cutting) {_ME} (?:a|some|another) (?:slice|piece)|(?:cut|burned|burnt|burn|hurt|scratched) {_ME} (?:\S+ ){0,5}(?:shaving|cooking|chopping|baking|gardening|oven|stove|pan|iron|kettle|tray|grill|toaster|can|tin|knife|by accident|accidentally|clumsy)|(?:cut|burned|burnt|burn|hurt) {_ME} (?:on (?:a|the|some) |while )".replace(
        "{_ME}", _ME
    ),
    r"shot {_ME} in the foot|shoot {_ME} in the foot".replace("{_ME}", _ME),
    r"(?:an |a )?overdos\w* of (?:sugar|chocolate|carbs|cake|candy|sweets|cuteness|drama|"
    r"netflix|tv|sunshine|love|kindness|nostalgia|cheese|pizza|memes|christmas|gossip|cringe|"
    r"azucar|dulces|amor)(?! (?:pills|tablets|pastillas|and|y|with|con|plus|mixed))",
    r"(?:ending|end|ended) it with (?:my |him|her|them|a )",
    r"(?:morir|morirme|muero|mori|muriendo|muera|morire) (?:de|por) (?:la )?(?:risa|hambre|sueno|frio|calor|ganas|verguenza|nervios|emocion|amor|envidia|aburrimiento|miedo|curiosidad|pena|cansancio|sed)",
    r"(?:mato|matarme|matando|mate|matas|matan) (?:estudiando|trabajando|corriendo|entrenando|de risa|a trabajar|a estudiar|de la risa|limpiando)",
    r"ya no (?:puedo|aguanto|soporto) (?:mas )?con (?:esta|este|la|el|mi|los|las)",
    r"acabar con (?:esta|la|mi) (?:relacion|tarea|novi\w+|pareja|deuda|proyecto)|acabo con (?:todos )?los pendientes",
    r"kill (?:for|time|it|the|this|that|a)|killed (?:it|the|a|that|this)",
)

NEGATORS: frozenset[str] = frozenset(
    "not never no none nobody without neither nor nunca jamas tampoco ni nada ningun ninguna ninguno sin".split()
)

NEGATION_FILLERS: frozenset[str] = frozenset(
    "i am be been being is was were do does did have has had would will could should can "
    "really even ever actually honestly seriously at all just so the a an any anymore "
    "want wanted wanting wish going gonna to planning plan plans thinking think thought thoughts "
    "about of on feel feeling felt like urges urge intention intentions intend trying try tried "
    "desire ideas idea ideation having plan sure intending "
    "soy era fui estaba siento sentia sentido once even ever "
    "me yo tengo tuve tenia tenido ganas de pienso pense pensado en he quiero queria voy a "
    "siquiera estoy estaba pensando pensamientos se lo la hacer nada ni tengo pensar "
    "deseo deseos intencion planes ideas".split()
)

THIRD_PERSON: frozenset[str] = frozenset(
    "he she they him her them his their someone somebody people person friend friends sister "
    "brother mom mum mother dad father son daughter kid kids child children partner boyfriend "
    "girlfriend husband wife cousin uncle aunt grandma grandmother grandpa grandfather "
    "coworker colleague roommate flatmate character patient client girl boy man woman guy "
    "neighbor neighbour classmate teacher student others everyone's who whose singer author "
    "dog cat puppy kitten pet toddler baby".split()
)
"""Someone other than the writer, as the subject of an English sentence."""

FIRST_PERSON_VERBS_ES: frozenset[str] = frozenset(
    "quiero pienso pense necesito deseo tengo estoy siento voy intente planeo prefiero debo "
    "acabo".split()
)
"""Spanish verbs in the first person: a match that opens with one is the writer's, whoever
is named before it ("perdí a mi madre y quiero morirme")."""

THIRD_PERSON_ES: frozenset[str] = frozenset(
    "ella ellos ellas amigo amiga amigos amigas hermano hermana mama papa madre padre hijo "
    "hija primo prima novio novia esposo esposa companero companera abuela abuelo tio "
    "sobrino sobrina vecino vecina alumno alumna chica chico nene nena hombre mujer gente "
    "alguien paciente personaje cantante autor ha perro perra gato gata mascota bebe".split()
)
"""The same in Spanish (not "él", which without its accent is "the")."""

CONTEXT_WORDS: frozenset[str] = frozenset(
    {
        *"article articles documentary podcast training class course lecture book novel movie "
        "film show series episode news report study research essay paper prevention awareness "
        "hotline lifeline squad doors door bomber bombing bombings rates rate statistics "
        "signs volunteer campaign song lyrics game nursing topic crisis mission "
        "epidemic risk assessment survivors survivor poem poetry history historical "
        "capacitacion prevencion documental articulo nota noticia noticias clase curso libro "
        "novela pelicula serie escuadron tasa tasas aumento estadisticas senales alerta "
        "voluntaria voluntario taller charla investigacion cancion juego tesis band album called "
        "named brand adolescents students thesis reportaje adolescentes estudiantes chapter exam "
        "pharmacology management studying lecture screening questionnaire".split(),
        "warning signs",
        "asked about",
        "asked me about",
        "me pregunto",
        "me preguntaron",
        "crisis line",
        "died by",
        "dies by",
        "death by",
        "linea de crisis",
    }
)

PAST_MARKERS = (
    r"(?:(?:\d+|many|some|a few|two|three|five|ten) )?(?:years|year) ago|when i was (?:younger|little|a teen|a teenager|a kid|a child|in high school|in college|\d+)"
    r"|(?:in|back in|en) (?:high school|college|my teens|my twenties|\d{4})|as a (?:teen|teenager|kid)|at (?:age )?\d+ i|used to"
    r"|(?:is|was) (?:over|behind me) now|(?:is|was) behind me|that is over|since (?:i|my) last|days since|(?:clean|free) for (?:\d+|a|two|three|six|many)"
    r"|hace (?:\d+|un|una|dos|tres|cuatro|cinco|seis|diez|muchos|varios) (?:anos|ano|meses)|de (?:adolescente|chic[oa]|joven|nin[oa])"
    r"|cuando (?:era|tenia) (?:chic[oa]|nin[oa]|adolescente|joven|\d+)|a los \d+|solia|ya lo supere|(?:dias|meses|anos) sin"
)
"""Words that put what follows in the past and over; a recurrence ("again") undoes them."""

OVER_MARKERS = (
    r"(?:is|was) (?:over|behind me)|that is over|since (?:i|my) last|days since|"
    r"(?:clean|free) for (?:\d+|a|two|three|six|many)|ya lo supere|(?:dias|meses|anos) sin"
)
"""Those of PAST_MARKERS that say it stopped ("it has been 500 days since my last"): a verb
of now in their clause is theirs, and does not undo them."""

RECURRENCE_MARKERS: frozenset[str] = frozenset(
    {
        "again",
        "are back",
        "is back",
        "came back",
        "coming back",
        "back again",
        "relapse",
        "relapsed",
        "still want",
        "still think",
        "still feel",
        "still have",
        "still wish",
        "otra vez",
        "de nuevo",
        "volvio",
        "volvieron",
        "volvi",
        "recaida",
        "todavia quiero",
        "todavia pienso",
        "todavia siento",
        "todavia lo hago",
        "sigo haciendolo",
        "no he parado",
        "and i still do",
        "i still do it",
        "still doing it",
        "never stopped cutting",
        "never stopped thinking",
        "never stopped wanting",
        "have not stopped cutting",
        "have not stopped thinking",
    }
)

PAST_TENSE: frozenset[str] = frozenset(
    "was were had wanted wished tried attempted thought felt wrote gave took saved "
    "stockpiled collected hoarded planned started believed spent typed "
    "queria quise quisiera pensaba pense intente intentaba tenia tuve estaba estuve era fui "
    "escribi escribia junte juntaba regale regalaba tome tomaba autolesionaba sentia senti "
    "crei creia hice hacia empece deseaba eran fueron fue".split()
)
"""Past verbs: a clause that is nothing but a past marker has none ("Two years ago, I
tried to ..."), so it is read with the clause after it."""

PRESENT_TENSE: frozenset[str] = frozenset(
    "am want wants think thinking feel feeling keep need plan planning is are have has can "
    "will would going still he hemos "
    "quiero quieres pienso pensando siento estoy tengo sigo sigue necesito voy puedo "
    "planeo ando vengo hago es son".split()
)
"""Verbs of now: in a match's clause they undo a past marker ("hace años que quiero morirme"
is ongoing); an infinitive ("used to want") is not one."""

IMMINENT_MARKERS: frozenset[str] = frozenset(
    {
        "tonight",
        "today",
        "tomorrow",
        "this weekend",
        "right now",
        "after my shift",
        "after work",
        "in an hour",
        "this is goodbye",
        "have the pills",
        "esta noche",
        "hoy",
        "manana",
        "ahora mismo",
        "este fin de semana",
        "ya lo decidi",
    }
)

INTENT_MARKERS = (
    r"i am going to|i am gonna|going to|i will|i am about to|about to|i have decided to|"
    r"decided to|i am ready to|me voy a|voy a|ya decidi|estoy list[oa] para|lo voy a hacer"
)
"""Stated intent: with risk language, the person may be in danger now."""

SPELLINGS: dict[str, str] = {
    # Contractions.
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "don't": "do not",
    "dont": "do not",
    "dnt": "do not",
    "don": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "didnt": "did not",
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wont": "will not",
    "wouldn't": "would not",
    "wouldnt": "would not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "wasnt": "was not",
    "weren't": "were not",
    "haven't": "have not",
    "havent": "have not",
    "hasn't": "has not",
    "hadn't": "had not",
    "shouldn't": "should not",
    "couldn't": "could not",
    "ain't": "am not",
    "it's": "it is",
    "its": "it is",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "they'd": "they would",
    "they'll": "they will",
    "you'll": "you will",
    "you're": "you are",
    "they're": "they are",
    "she's": "she is",
    "he's": "he is",
    "let's": "let us",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "tryna": "trying to",
    "outta": "out of",
    # Text-speak.
    "u": "you",
    "ur": "your",
    "r": "are",
    "n": "and",
    "2": "to",
    "abt": "about",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "rn": "right now",
    "rly": "really",
    "w/": "with",
    "idk": "i do not know",
    "dw": "do not worry",
    "ded": "dead",
    "dieee": "die",
    "wnat": "want",
    "wnt": "want",
    "wan": "want",
    "lfe": "life",
    "lif": "life",
    "kms": "kill myself",
    "kys": "kill yourself",
    "killmyself": "kill myself",
    "kilmyself": "kill myself",
    "iwanttodie": "i want to die",
    "wanttodie": "want to die",
    "endmylife": "end my life",
    "selfharm": "self harm",
    "self-harm": "self harm",
    "self-harmed": "self harmed",
    "self-harming": "self harming",
    "s/h": "s/h",
    "sh": "sh",
    "unalive": "unalive",
    "bout": "about",
    "gona": "going to",
    "wana": "want to",
    "pastis": "pastillas",
    "kitar": "quitar",
    "qitar": "quitar",
    "ves": "vez",
    "qisiera": "quisiera",
    "nunk": "nunca",
    "nunka": "nunca",
    "iwannadie": "i want to die",
    "mequieromorir": "me quiero morir",
    "till": "until",
    "til": "until",
    "ahorita": "ahora",
    "qro": "quiero",
    "kro": "quiero",
    "cuttin": "cutting",
    "offin": "offing",
    "no1": "no one",
    "noone": "no one",
    "every1": "everyone",
    "any1": "anyone",
    "some1": "someone",
    "b4": "before",
    "thx": "thanks",
    # Spanish text-speak.
    "q": "que",
    "k": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "d": "de",
    "m": "me",
    "t": "te",
    "x": "por",
    "kiero": "quiero",
    "qiero": "quiero",
    "kiere": "quiere",
    "kisiera": "quisiera",
    "kitarme": "quitarme",
    "qitarme": "quitarme",
    "tngo": "tengo",
    "tng": "tengo",
    "estoi": "estoy",
    "toy": "estoy",
    "cn": "con",
    "pa": "para",
    "tb": "tambien",
    "tmb": "tambien",
    "nd": "nada",
    "mas": "mas",
    "suisidio": "suicidio",
    "suisidarme": "suicidarme",
    "suisidar": "suicidar",
    "muert": "muerte",
}

FUZZY_WORDS: frozenset[str] = frozenset(
    "suicide suicidal suicides myself overdose overdosing unalive unaliving anymore "
    "suicidio suicidarme suicidar suicida suicidas matarme morirme quitarme cortarme "
    "lastimarme autolesion autolesionarme despertar desaparecer pastillas".split()
)

PROTECTED_WORDS: frozenset[str] = frozenset(
    "overdoes overdone overdue himself herself itself thyself yourself loving living giving "
    "leaving diving exiting existing alike olive matarse matarte matarlo matarla matarlos "
    "morirse morirte suicidarse suicidarte cortarse cortarte quitarse quitarte lastimarse "
    "lastimarte despertare despertarse "
    "suites suite".split()
)
