"""Action cues: where a review may state one of the review actions, and the context that decides
whether it is the reviewer's own, real action (guidelines §1–2).

``find_candidates`` returns every cue match in a review with what rules read well around it:

* ``negated`` — a negation just before the cue ("I would never uninstall it", "I didn't pay");
* ``hypothetical`` — a condition, modal or wish governs it ("if this isn't fixed I'll uninstall",
  "I might switch", "thinking of using a different app");
* ``question`` — the sentence asks ("how do I cancel?");
* ``actor`` — who does it: ``first`` ("I", "we", "my company", "made me"), ``implied`` (a
  sentence that starts with the action: "Deleted it.", "Uninstalling and moving on"), ``second``
  (advice: "you should delete it", "Don't download"), ``third`` ("my wife deleted it", "the seller
  cancelled"), ``app`` (the app itself: "this app is a must"), or ``none``.

Whether a candidate counts is decided by the extractor (rules in ``rules.py``, a fitted model in
``hybrid.py``); which counted type wins is ``curation.extractors.PRIORITY``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_APP_OBJECT = r"(?:(?:the|this|that|your|their|my|ur|da)\s+)?(?:stupid\s+|useless\s+|whole\s+|damn\s+)?(?:app|application|game|it|program|thing|software)\b"
_ELSEWHERE = (
    r"(?:another|other|a different|a new|a better|an?other|different|better|new)\s+(?:\w+\s+)?"
    r"(?:apps?|applications?|platforms?|services?|sites?|websites?|options?|tools?|programs?|games?|banks?|providers?|company|one)"
)
# A named alternative: a capitalised word (not a pronoun or sentence word) or a common lower-case spelling.
# Verbs that follow "I'm going to" when it is not a destination ("I'm going to cancel").
_VERBS = "cancel|delete|uninstall|remove|try|give|stop|use|pay|leave|write|keep|report|contact|call|email|wait|see|have|be|do|get|make|buy|switch|change|update|need|find|look|say|start|continue|rate|sell|order|go"
_NAME = r"(?-i:(?!I\b|It\b|The\b|This\b|My\b)[A-Z][\w.&+'-]*(?:\s+(?-i:[A-Z][\w.&+'-]*)){0,2})"

# (action_type, triggers, pattern, flags). The pattern is tried only on sentences holding one of the
# trigger substrings (lower case), which keeps the extractor fast. Flags: "neg" the negation is
# part of the cue (skip the negation check); "reinstall" a reinstall, which turns a nearby uninstall
# into an attempt to make the app work; "target" the match names an alternative in group "target"
# (the reviewed app itself is not an alternative: "we switched to Slack" in a Slack review).
_CUE_TABLE: list[tuple[str, tuple[str, ...], str, str]] = [
    # cancel
    ("cancel", ("cancel", "unsubscrib"), r"\b(?:cancel+(?:ed|ing|s)?|unsubscrib\w*)\b(?!\s+(?:button|option|rate))", ""),
    ("cancel", ("refund",), r"\b(?:ask(?:ed|ing)?|request(?:ed|ing)?|want(?:ed)?|demand(?:ed|ing)?|need|applied|appl(?:y|ying)|fil(?:e|ed|ing)|get)\s+(?:for\s+)?(?:a\s+|my\s+|full\s+|the\s+)*refund|\brefund me\b", ""),
    ("cancel", ("money",), r"\b(?:want(?:ed)?|need|demand|get|give me|asked for|asking for)\s+(?:back\s+)?my money\s+back\b|\bwant(?:ed)? my money\b", ""),
    ("cancel", ("account",), r"\b(?:delet(?:e|ed|ing)|clos(?:e|ed|ing)|deactivat(?:e|ed|ing)|terminat(?:e|ed|ing))\s+(?:my|our)\s+(?:\w+\s+)?account\b|\baccount deletion\b", ""),
    ("cancel", ("renew",), r"\b(?:not|never|won'?t|don'?t)\s+(?:\w+\s+){0,3}?renew(?:ing|al)?\b", "neg"),
    ("cancel", ("disput", "charge"), r"\bdisput(?:e|ed|ing)\s+(?:the|a)\s+(?:charge|transaction)|\bcharge ?back\b", ""),
    ("cancel", ("return", "send", "sent"), r"\b(?:return(?:ed|ing)?|send(?:ing)?\s+back|sent\s+back)\s+(?:it|them|the\s+(?:item|order|shoes|product)|my\s+(?:item|order|shoes|product))\b", ""),
    # switch_app
    ("switch_app", ("switch", "mov", "migrat", "jump", "went back", "go back", "going back", "gone back", "head", "return", "transfer", "went over"), r"\b(?:switch(?:ed|ing)?|mov(?:e|ed|ing)|migrat(?:e|ed|ing)|jump(?:ed|ing)?|went\s+back|go(?:ing)?\s+back|gone\s+back|head(?:ed|ing)\s+back|return(?:ed|ing)|transferr?(?:ed|ing)|went\s+over)\s+"
                             r"(?:over\s+)?(?:back\s+)?to\s+(?:using\s+)?(?P<target>" + _ELSEWHERE + r"|" + _NAME + r"|paper|pen and paper|email|e-mail)", "target"),
    ("switch_app", ("instead",), r"\b(?:use|using|used|try|trying|tried|install(?:ed)?|download(?:ed)?|got|get|prefer|buy|bought|order(?:ed)?)\s+(?:\w+\s+){0,3}?(?P<target>" + _ELSEWHERE + r"|" + _NAME + r")\s+instead\b"
                                  r"|\binstead of using (?:it|this|the app)\b", "target"),
    ("switch_app", ("now",), r"\bnow\s+(?:we|i)\s+(?:use|are using|'m using|am using)\s+(?:the\s+)?(?:paid\s+|free\s+)?(?:version\s+of\s+)?(?P<target>" + _ELSEWHERE + r"|" + _NAME + r")", "target"),
    ("switch_app", ("stick", "stay"), r"\b(?:stick(?:ing)?|stay(?:ing)?)\s+(?:to|with)\s+(?P<target>" + _NAME + r")", "target"),
    ("switch_app", ("look", "search", "seek", "shop", "elsewhere", "alternative"),
     r"\b(?:look(?:ing)?|search(?:ing)?|seek(?:ing)?|shop(?:ping)?)\s+(?:around\s+)?(?:for|into|at)\s+(?:an?\s+|some\s+|other\s+)?(?:alternatives?|replacements?|" + _ELSEWHERE + r")"
     r"|\b(?:look(?:ing)?|go(?:ing)?|shop(?:ping)?|tak(?:e|ing) (?:my|our) (?:business|money))\s+elsewhere\b|\bseeking alternatives?\b", ""),
    ("switch_app", ("going to", "moving to", "heading to", "headed to", "going back", "moving back"),
     r"\b(?:i'?m|i am|we'?re|we are|im)\s+(?:now\s+)?(?:going|moving|heading|headed)\s+(?:back\s+)?(?:over\s+)?to\s+(?P<target>(?!(?:" + _VERBS + r")\b)[\w.&+'-]+(?:\s+[\w.&+'-]+)?)\s*[.!]*$", "target"),
    ("switch_app", ("thank", "opt"), r"\bthank (?:god|goodness|heavens) for\s+(?P<target>" + _NAME + r")|\bopt(?:ed|ing)? for\s+(?P<target2>" + _ELSEWHERE + r"|more\s+\w+\s+platforms|" + _NAME + r")", "target"),
    # uninstall
    ("uninstall", ("uninstal", "un-instal"), r"\bun-?install\w*\b", ""),
    ("uninstall", ("delet", "remov", "trash"), r"\b(?:delet(?:e|ed|es|ing)|remov(?:e|ed|es|ing)|trash(?:ed|ing)?)\s+" + _APP_OBJECT + r"(?!\s+(?:and|&)\s+re)", ""),
    ("uninstall", ("delet", "remov", "uninstal"), r"\b(?:delet(?:e|ed|ing)|remov(?:e|ed|ing)|uninstall(?:ed|ing)?)\s+(?P<app>" + _NAME + r")", "app"),
    ("uninstall", ("rid of",), r"\b(?:got|get(?:ting)?) rid of (?:the|this) (?:app|game)\b", ""),
    ("uninstall", ("delet", "remov", "gone"), r"^(?:delet(?:ed|ing)|remov(?:ed|ing))\b|\bremov(?:ed|ing) (?:it )?from my (?:phone|device|ipad|iphone|tablet)", ""),
    # stop_using
    ("stop_using", ("stop", "quit", "ceas"), r"\b(?:stop(?:ped)?|quit|quitting|ceas(?:e|ed))\s+(?:using|playing|ordering|buying|selling|shopping)\b", ""),
    ("stop_using", ("no longer",), r"\bno longer\s+(?:\w+\s+)?(?:use|using|play|playing|order|ordering|buy|buying|sell|selling|shop|shopping|going to use)\b", "neg"),
    ("stop_using", ("again", "anymore", "any more"),
     r"\b(?:never|not|won'?t|will not|don'?t|do not|wo n't)\s+(?:be\s+|ever\s+|going to\s+|gonna\s+)*(?:[\w']+\s+){0,3}?"
     r"(?:use|using|order|ordering|buy|buying|sell|selling|shop|shopping|play|playing|download|downloading|return|returning|come back|coming back|touch)\b"
     r"[^.!?]{0,40}?\b(?:again|anymore|any more)\b|\bnever again\b", "neg"),
    ("stop_using", ("done", "gave up", "give up", "giving up", "lost me", "lost us", "losing me", "won't be back", "wont be back"),
     r"\b(?:i'?m|i am|we'?re|we are)\s+(?:so\s+|officially\s+)?done\b|\bgave up\b|\bgiv(?:e|ing) up on\b|\b(?:lost|losing) (?:me|us)\b|\bwo?n'?t be back\b|\bdone with (?:this|it|the app|them)\b", "neg"),
    ("stop_using", ("exclusively", "only use", "out of"), r"\b(?:exclusively|only)\s+use\s+(?:the\s+)?(?:desktop|web|browser|website|computer|pc|laptop)\b|\bmove (?:everything|all my \w+) out\b", ""),
    # contact_support
    ("contact_support", ("contact", "mail", "call", "messag", "chat", "wrote", "writ", "reach", "complain", "report", "dm", "inquir", "tweet", "sent"),
     r"\b(?:contact(?:ed|ing)?|e-?mail(?:ed|ing)?|mailed|call(?:ed|ing)|messag(?:ed|ing)|chat(?:ted|ting)?\s+with|wr(?:ote|itten|iting)\s+to|reach(?:ed|ing)?\s+out(?:\s+to)?|"
     r"complain(?:ed|ing)?(?:\s+to)?|report(?:ed|ing)?|dm'?(?:ed|d)|inquir(?:ed|e)|tweet(?:ed)?\s+at|sent\s+(?:an?\s+)?(?:e-?mails?|messages?))\s+"
     r"(?:\w+\s+)?(?:to\s+)?(?:the\s+|their\s+|your\s+|customer\s+|tech\s+|technical\s+)*(?:support|service|care|help ?desk|helpline|developers?|devs?|dev team|team|company|them|you guys|agents?|staff|zendesk|it\b|this\b|every\b|each\b|the (?:bug|issue|problem))"
     r"|\b(?:contact(?:ed|ing)?|e-?mail(?:ed|ing)?|call(?:ed|ing)|messag(?:ed|ing)|report(?:ed|ing)?(?:\s+(?:it|this|them))?\s+to|complain(?:ed|ing)?\s+to|wr(?:ote|iting)\s+to)\s+" + _NAME, ""),
    ("contact_support", ("talk", "spok", "spoke", "ask", "request"),
     r"\b(?:talk(?:ed|ing)?\s+to|spok(?:e|en)\s+(?:to|with)|ask(?:ed|ing)|request(?:ed|ing)?)\s+(?:\w+\s+)?(?:the\s+|their\s+|customer\s+|tech\s+)*(?:support|service|care|help ?desk|developers?|devs|dev team|agents?|staff)\b"
     r"|\b(?:i|we)\s+(?:\w+\s+)?request(?:ed)?\s+(?:for|it|this|a feature)|\bfeature i (?:\w+\s+)?requested\b", ""),
    ("contact_support", ("ticket", "report", "complaint", "request", "case", "feedback"),
     r"\b(?:submit(?:ted)?|open(?:ed)?|fil(?:ed|e)|rais(?:ed|e)|sen[dt]|creat(?:ed|e)|put in)\s+(?:a|an|the|multiple|several|many|\d+)?\s*(?:support\s+)?(?:tickets?|reports?|complaints?|requests?|cases?|bug reports?|feedback)\b", ""),
    ("contact_support", ("told", "said", "replied", "responded", "answered", "got back", "informed", "assured", "helped", "promised", "advised", "says", "say"),
     r"\b(?:support|customer (?:service|care|support)|service|the team|agent|rep|representative|they|dev team|developers?)\s+(?:\w+\s+)?(?:told|said to|replied to|responded to|answered|got back to|informed|assured|helped|promised|advised)\s+(?:me|us)\b"
     r"|\b(?:support|customer service|customer care)\s+(?:says|said|say)\b", ""),
    ("contact_support", ("my e", "my ticket", "my complaint", "my call", "response", "repl", "respond", "answer"),
     r"\b(?:responded|reply|replied|response|respond|answer(?:ed)?)\s+(?:back\s+)?to\s+my\s+(?:e-?mails?|messages?|tickets?|complaints?|requests?|questions?|calls?)\b"
     r"|\bmy (?:e-?mails?|tickets?|complaints?|calls?) (?:to|went|go|were|was|have|has)\b|\bwaiting\s+(?:\w+\s+){0,4}for\s+(?:a|their|any|an)\s+(?:response|reply|answer)\b", ""),
    ("contact_support", ("never", "n't", "not", "no "),
     r"\b(?:support|customer (?:service|care|support)|help ?desk|the team|agents?)\s+(?:has\s+|have\s+)?(?:never|didn'?t|did not|haven'?t|hasn'?t|has not|won'?t|doesn'?t|still not|not)\s+(?:\w+\s+)?"
     r"(?:respond(?:ed)?|repl(?:y|ied)|answer(?:ed)?|got back|get back|contacted me back|responded to|helped)\b", "neg"),
    ("contact_support", ("got back", "get back", "gotten back"), r"\b(?:got|get|gotten)\s+back\s+(?:to|with)\s+(?:me|us)\b", ""),
    ("contact_support", ("try to", "tried to", "trying to"), r"\btr(?:y|ied|ying)\s+to\s+(?:contact|reach|call|email|e-mail|get (?:a )?hold of|talk to|send (?:feedback|a message)|report|get help)\b", ""),
    # update
    ("update", ("install", "download"), r"\bre-?install\w*\b|\bre-?download\w*\b|\bdownload(?:ed)? (?:it|the app|the game) again\b|\binstall(?:ed)? (?:it|the app) again\b", "reinstall"),
    ("update", ("cache", "data", "storage", "cookie"), r"\b(?:clear(?:ed|ing)?|wip(?:e|ed|ing)|delet(?:e|ed|ing))\s+(?:the\s+|my\s+|all\s+|its\s+)?(?:app\s+)?(?:cache|data|storage|cookies)\b", ""),
    ("update", ("start", "boot", "reset", "open", "quit", "clos", "launch", "add", "pair"),
     r"\b(?:restart(?:ed|ing)?|reboot(?:ed|ing)?|re-?start(?:ed|ing)?|reset(?:ting)?\s+(?:my|the|it)|clos(?:e|ed|ing)\s+and\s+re-?open(?:ed|ing)?|force[- ]?(?:quit|clos)\w*|re-?open(?:ed|ing)?|re-?launch(?:ed|ing)?|re-?add(?:ed|ing)|re-?pair(?:ed|ing)?)\b", ""),
    ("update", ("log", "sign"), r"\b(?:log(?:ged)?|sign(?:ed)?)\s+(?:out|off)\s+and\s+(?:back\s+)?(?:in|on)\b", ""),
    ("update", ("updat", "upgrad"), r"\b(?:i|we)\s+(?:have\s+|just\s+|already\s+|finally\s+)*(?:updated|upgraded)\s+(?!from\b)(?!to (?:the )?(?:premium|pro|plus|paid))|\bupdat(?:ed|ing) (?:it|the app|my app|to the latest)\b|\bwish i'?d never updated\b", ""),
    ("update", ("setting", "turn", "tried everything", "troubleshoot"),
     r"\b(?:chang(?:e|ed|ing)|edit(?:ed|ing)?|mess(?:ing|ed) with|tweak(?:ed|ing)?|adjust(?:ed|ing)?|play(?:ed|ing) (?:around )?with|went into|went to|check(?:ed)?)\s+(?:the\s+|my\s+|all\s+|its\s+)?(?:\w+\s+){0,2}settings?\b"
     r"|\bturn(?:ed|ing)?\s+(?:\w+\s+){0,2}(?:off and (?:back )?on|on and off|back on)\b|\btried everything\b|\btroubleshoot\w*", ""),
    # pay
    ("pay", ("paid", "pay", "purchas", "bought", "buy", "order", "subscri", "upgrad", "spen", "invest"),
     r"\b(?:i|we)\s*(?:'ve|'d|have|had)?\s+(?:just\s+|already\s+|recently\s+|finally\s+|even\s+|also\s+|actually\s+|literally\s+|only\s+)*(?:paid|pay|purchased|purchase|bought|buy|ordered|order|subscribed|upgraded|invested)\b"
     r"|^(?:just\s+)?(?:paid|purchased|bought|ordered|subscribed|upgraded)\b|\bpaid for\b|\bspen[dt]\s+(?:over\s+|almost\s+|nearly\s+|about\s+|around\s+)?(?:[$£€]|\d|a lot|so much|hundreds|thousands|money|my money)", ""),
    ("pay", ("premium", "paid", "paying", "pro ", "plus", "gold", "vip", "yearly", "annual", "monthly", "lifetime", "family", "subscri"),
     r"\b(?:premium|paid|paying|pro|plus|gold|vip|yearly|annual|monthly|lifetime|family|subscribed)\s+(?:\w+\s+)?(?:customer|member|subscriber|user|subscription|plan|membership|account|version|team|license)\b", ""),
    ("pay", ("in app", "in-app", "inapp", "order", "purchase", "subscription", "membership", "got my", "got the", "got a"),
     r"\bin[- ]?app purchases?\b|\bplaced (?:an|my|the|\d+) orders?\b|\bmy (?:\w+\s+)?(?:orders?|purchases?|subscription|membership)\b|\bgot (?:my|the|a) (?:new\s+)?(?:pair|shoes|order|item|package|sneakers)\b", ""),
    # recommend
    ("recommend", ("recom", "suggest"), r"\brecom+end(?:ed|s|ing|able)?\b(?!\s+(?:(?:this|the|that|a)\s+seller|deleting|uninstalling|removing|avoiding|staying away|against|looking))|\bsuggest(?:ed|ing)?\s+(?:this|it|the app|everyone|anyone|you|to)\b|\bwould suggest\b", ""),
    ("recommend", ("must", "should", "need", "have to", "gotta", "got to"),
     r"\bmust[- ]?(?:have|try|download|get)s?\b|\b(?:is|it'?s)\s+a\s+must\b|\b(?:you|everyone|everybody|anyone|anybody|people|u)\s+(?:should|need|needs|must|have to|gotta|got to)\s+(?:to\s+)?(?:get|download|have|try|use|install)\b", ""),
    ("recommend", ("get", "download", "try", "install", "grab", "cop", "give it", "check", "regret"),
     r"^(?:just\s+|so\s+|go\s+|definitely\s+|seriously\s+)?(?:get|download|try|install|grab|cop)\s+(?:it|this|the app|this app|one|the)\b|\b(?:download|get|try)\s+(?:it|this app|" + _NAME + r")\s+(?:now|today|right now)\b"
     r"|\bgive (?:it|this|them) a (?:try|shot|go)\b|\bcheck (?:it|this) out\b|\byou won'?t regret\b", ""),
    ("recommend", ("told", "tell", "got", "convinc", "persuad", "invit", "encourag", "introduc", "promot", "spread"),
     r"\b(?:told|tell|telling|got|gotten|getting|convinced|persuad\w+|invited|encourag\w+|introduced)\s+(?:all\s+)?(?:my|our|everyone|everybody|others|people|friends|family)\b"
     r"|\bpromote it\b|\bspread(?:ing)? the word\b", ""),
    # keep_using
    ("keep_using", ("been", "been with"),
     r"\b(?:i'?ve|we'?ve|i have|we have|have|i|we)?\s*been\s+(?:\w+\s+)?(?:using|playing|with|on|a (?:\w+\s+)?(?:user|customer|member|subscriber))\b[^.!?]{0,40}?\b(?:for|since|over)\b", ""),
    ("keep_using", ("used",), r"(?:\b(?:i|we)\s*(?:'ve|have)?\s+|^)(?:used|play|played)\s+(?:it|this|this app|the app|them|\w+)\s+(?:for|since|in)\s+(?:\w+\s+){0,3}?(?:years?|months?|decades?|a while|ages|forever|\d{4}|every)\b", ""),
    ("keep_using", ("since", "user", "customer", "member", "subscriber", "fan", "player"),
     r"\b(?:user|customer|member|subscriber|fan|player)s?\s+(?:since|for\s+(?:\w+\s+){0,2}(?:years?|months?|decades?))\b|\blong[- ]?time\s+(?:user|customer|member|fan|player|subscriber)\b|\bloyal\s+(?:user|customer|fan)\b", ""),
    ("keep_using", ("use", "play"),
     r"\b(?:i|we)\s+(?:still\s+|also\s+|now\s+|personally\s+|primarily\s+|mainly\s+|mostly\s+|only\s+|literally\s+|actually\s+|really\s+)*(?:use|play)\s+(?:it|this|this app|the app|this game|this platform|them|(?P<object>\w+))\b"
     r"(?:\s+\w+){0,3}?\s+(?:every ?day|daily|all day|all the time|constantly|regularly|for|to|at|in|on|with|almost|exclusively|whenever|when|as)\b", "object"),
    ("keep_using", ("we use", "uses", "relies"),
     r"\bwe use\s+(?:it\s+|this\s+)?(?:at|in|for)\b|\b(?:my|our)\s+(?:\w+\s+)?(?:company|team|school|office|family|workplace|business|organization|organisation|firm|job|work)\s+(?:uses|use|has used|relies on)\b", ""),
    ("keep_using", ("go to", "go-to", "goto", "forced", "required", "have to use", "has to use", "had to use"),
     r"\b(?:my|our)\s+(?:\w+\s+)?go[- ]?to\b|\b(?:forced|required)\s+to\s+use\b|\b(?:have|has|had)\s+to\s+use\s+(?:it|this|this app|the app)\b", ""),
    ("keep_using", ("still", "keep", "kept", "continu", "stick", "come back", "coming back", "rely"),
     r"\b(?:still|keep|kept|continue to|will continue|'ll continue|going to keep|'ll keep|will keep)\s+(?:on\s+)?(?:using|playing|use|play|coming back)\b|\bstick(?:ing)? with (?:it|this|the app|them)\b|\bcome back to\b|\brely on (?:it|this)\b", ""),
    ("keep_using", ("start", "using", "had"),
     r"\bstart(?:ed|ing)?\s+using\s+(?:it|this|the app|" + _NAME + r")\s+(?:in|for|since|when|last|about|a few|over|back|at|with)\b"
     r"|\b(?:i|we)\s+(?:was|were|am|are|'m|'re)\s+using\s+(?:it|this|this app|the app)\s+(?:to|for)\b|^using\s+(?:it|this)\s+(?:for|to|every|daily)\b"
     r"|\b(?:enjoy|love|like)\s+using\s+(?:it|this|the app)\b|\bhad\s+(?:it|this app|the app|the (?:free|paid|premium)\s+\w+)\s+for\s+(?:\w+\s+){0,2}(?:years|months)\b", ""),
    ("keep_using", ("integral", "essential", "critical", "core"), r"\b(?:integral|essential|critical|core)\s+(?:part\s+)?(?:of|to)\s+(?:my|our)\b", ""),
]
# A cue's pattern is matched on the sentences that hold one of its triggers ("^" is a sentence start).
CUES: list[tuple[str, tuple[str, ...], re.Pattern, str]] = [(t, triggers, re.compile(p, re.I), flags) for t, triggers, p, flags in _CUE_TABLE]

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?", re.I)
_NEGATION_WORDS = frozenset("not never no without nor cannot cant can't dont don't didnt didn't doesnt doesn't wont won't wouldnt wouldn't isnt isn't havent haven't hasnt hasn't neither".split())
_MODAL_WORDS = frozenset(
    "would wouldn't could couldn't might may should shouldn't wish hope hoping hopefully thinking considering consider tempted ready "
    "planning maybe perhaps whether i'd we'd you'd they'd he'd she'd id".split()
)
_CONDITION = re.compile(r"\b(?:if|unless)\b", re.I)
_APP_CONDITION = re.compile(r"\b(?:if|unless|until|once|when)\s+(?:they|it|the app|this|the developers?|the devs|devs|you guys)\b", re.I)
_FIRST = frozenset("i i'm im i've ive i'll ill we we've we're we'll we'd me us myself ourselves".split())
_FIRST_OBJECT = frozenset("me us my our".split())
_SECOND = frozenset("you you're youre you'll you've u ur yall y'all your".split())
_THIRD = frozenset(
    "he she they he's she's they're they've his her their people everyone everybody others someone somebody users customers "
    "buyers sellers buyer seller friend friends wife husband son daughter kids kid mom mum dad sister brother boss colleague "
    "colleagues coworker coworkers girlfriend boyfriend partner father mother parents teacher".split()
)
_GROUP_NOUNS = frozenset("company team business organization organisation office family org firm school department staff".split())
_CLAUSE_BOUNDARY = re.compile(r"[,;:()]|\b(?:but|although|though|however|whereas|because|so|unless|until|otherwise|then)\b", re.I)
_ADVISING = frozenset("recommend recommended recommending suggest suggested suggesting advise advised urge urging".split())
_DETERMINERS = frozenset("the a an this that their his her its".split())
_APP_NOUNS = frozenset("app application game platform tool program service software site website".split())
_ELLIPTICAL_START = frozenset("just so then now finally already and also again even will have had has am was been".split())
# A sentence that starts with one of these verbs gives advice ("Delete this app", "Download it now");
# one that starts with any other cue word states the reviewer's own action ("Deleted it.", "Been
# using it for years", "Will no longer use.").
_ADVICE_VERBS = frozenset("get download try install grab cop delete uninstall remove use avoid stay do don't dont go buy stop switch cancel contact check give save forget".split())


@dataclass(frozen=True)
class Candidate:
    action_type: str
    sentence: int  # index into the review's sentences (title first)
    start: int
    end: int
    cue: str
    negated: bool
    hypothetical: bool
    question: bool
    actor: str  # first | implied | second | third | app | none
    imperative: bool
    flags: str


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("’", "'"))


def _actor(clause_before: str, sentence_before: str, cue: str) -> tuple[str, bool]:
    """(actor, imperative): who performs the cue, read from the cue's own first word and the words before it."""
    cue_tokens = _tokens(cue)
    if cue_tokens and cue_tokens[0] in _FIRST:
        return "first", False
    tokens = _tokens(clause_before)
    if tokens and tokens[-1] in _ADVISING:
        return "second", False  # "I recommend deleting this app": advice to others, not the reviewer's action
    if len(tokens) >= 2 and tokens[-2] in _DETERMINERS and tokens[-1] not in _FIRST | _SECOND:
        # "after the driver cancelled": a noun phrase is the subject; "this app is a must": the app is
        return ("app" if tokens[-1] in _APP_NOUNS else "third"), False
    for index in range(len(tokens) - 1, -1, -1):
        token = tokens[index]
        if token in ("my", "our") and index + 1 < len(tokens):
            following = tokens[index + 1]
            return ("third" if following in _THIRD else "first"), False
        if token in _FIRST:
            return "first", False
        if token in _SECOND:
            return "second", False
        if token in _THIRD or (token == "it" and index == len(tokens) - 1):
            return "third", False
    if (_FIRST | _FIRST_OBJECT) & set(cue_tokens):
        return "first", False  # "support told me", "they lost me", "my go-to", "a feature I requested"
    if tokens and _FIRST & set(_tokens(sentence_before)):
        return "first", False  # "I paid, then uninstalled": the subject carries over the clause
    if not [t for t in tokens if t not in _ELLIPTICAL_START]:
        if (cue_tokens[0] if cue_tokens else "") in _ADVICE_VERBS:
            return "second", True
        return "implied", False
    if tokens[-1] in ("a", "an") and len(tokens) > 1 and tokens[-2] == "as":
        return "implied", False  # "As a longtime user"
    return "none", False


def find_candidates(sents: list[str], name_words: frozenset[str] = frozenset()) -> list[Candidate]:
    """Every cue match in the review's sentences, with its context read."""
    lowered = [sentence.lower() for sentence in sents]
    review = "\n".join(lowered)
    found: list[Candidate] = []
    for action_type, triggers, pattern, flags in CUES:
        for trigger in triggers:
            if trigger in review:
                break
        else:
            continue
        for index, sentence in enumerate(sents):
            lower = lowered[index]
            for trigger in triggers:
                if trigger in lower:
                    break
            else:
                continue
            for match in pattern.finditer(sentence):
                if "target" in flags:
                    target = match.group("target") or match.groupdict().get("target2") or ""
                    if name_words & set(_tokens(target)):
                        continue  # switching to the reviewed app is not leaving it
                if "app" in flags and not name_words & set(_tokens(match.group("app"))):
                    continue  # "delete Goodnotes" counts in a Goodnotes review only
                if "object" in flags and match.group("object"):
                    used = match.group("object")
                    if not (used[0].isupper() or used.lower() in name_words):
                        continue  # "I use comments a lot": a feature, not the app
                found.append(_read(action_type, index, sentence, match, flags))
    return found


def _read(action_type: str, index: int, sentence: str, match: re.Match, flags: str) -> Candidate:
    start, end = match.start(), match.end()
    before = sentence[:start]
    boundaries = list(_CLAUSE_BOUNDARY.finditer(before))
    clause_before = before[boundaries[-1].end():] if boundaries else before
    clause_tokens = _tokens(clause_before)
    negated = "neg" not in flags and any(t in _NEGATION_WORDS or t.endswith("n't") for t in clause_tokens[-4:])
    if action_type == "recommend":
        # "I'd recommend" is the ordinary form, "if you love shoes you need this app" addresses the
        # reader; only a condition on the app makes it hypothetical ("would recommend if they fixed it").
        hypothetical = bool(_APP_CONDITION.search(sentence))
    else:
        after = sentence[end:]
        following = _CLAUSE_BOUNDARY.search(after)
        hypothetical = (bool(_CONDITION.search(before)) or bool(_CONDITION.search(after[: following.start()] if following else after))
                        or any(t in _MODAL_WORDS for t in clause_tokens[-6:]))
    actor, imperative = _actor(clause_before, before, match.group(0))
    return Candidate(action_type, index, start, end, match.group(0), negated, hypothetical,
                     sentence.rstrip().endswith("?"), actor, imperative, flags)
