"""Review templates and other text of the embedded sample (all invented).

Placeholders filled from the app's vocabulary (see ``catalog.App``): {task}, {problem}, {problem2},
{praise}, {praise2}, {minor}, {competitor}, {premium}, {price}, {version}, {app}.
Each template is ``(kind, rating range, text)``; the kind says which later stage it exercises.
"""

from __future__ import annotations

# Reviews that state an action and the reason for it. Ratings follow the tone.
ACTION_TEMPLATES: tuple[tuple[str, tuple[int, int], str], ...] = (
    ("uninstall", (1, 2), "I was trying to {task} when {problem}. Uninstalled because I can't rely on it anymore."),
    ("uninstall", (1, 1), "Uninstalled because {problem}. Tried three times to {task} and gave up."),
    ("uninstall", (1, 2), "Deleted the app today. {problem_cap}, and on top of that {problem2}."),
    ("uninstall", (1, 2), "Been a customer for years but I just uninstalled it because {problem}."),
    ("switch_app", (1, 2), "Switched to {competitor} because {problem}. Nobody replied to my emails."),
    ("switch_app", (1, 3), "I needed to {task} and {problem}. I'm moving to {competitor}, which just works."),
    ("switch_app", (2, 3), "Going back to {competitor} because {problem}. Shame, the design is nice."),
    ("switch_app", (4, 5), "Switched from {competitor} because {praise}. Should have done it sooner."),
    ("stop_using", (1, 2), "I stopped using it since version {version} because {problem}."),
    ("pay", (4, 5), "Paid for {premium} because {praise}. Worth every cent of {price}."),
    ("pay", (4, 5), "Upgraded to {premium} last month because I wanted to {task} without hassle, and {praise}."),
    ("pay", (2, 3), "I paid for {premium} because {praise}, but now {problem}."),
    ("cancel", (1, 2), "Cancelled my {premium} subscription because {problem}."),
    ("cancel", (1, 2), "I cancelled {premium} and asked for a refund because {problem}. Still waiting."),
    ("cancel", (1, 3), "I have been trying to cancel {premium} for a week because {problem}. Why is it so hard to cancel?"),
    ("contact_support", (1, 2), "Contacted support and they told me to reinstall. Did that, and {problem} again. Useless."),
    ("contact_support", (3, 3), "I was trying to {task} when {problem}. Contacted support and they fixed it in two days, so 3 stars."),
    ("contact_support", (1, 2), "Wrote to support twice because {problem}. Only got a copy-paste answer."),
    ("contact_support", (4, 5), "Contacted support because {problem} and they sorted it out the same day. Great service."),
    ("update", (3, 4), "Updated to {version} and {praise} again. Before the update {problem}."),
    ("update", (1, 2), "Updated to the latest version and now {problem}. Please roll it back."),
    ("update", (2, 3), "Reinstalled and cleared the cache because {problem}. It works for now."),
    ("update", (3, 4), "Had to turn off battery optimisation because {problem}. Works after that."),
    ("recommend", (5, 5), "I recommend it because {praise}. My whole family uses it now."),
    ("recommend", (4, 5), "Recommended it to my coworkers because {praise}."),
    ("recommend", (4, 5), "I use it to {task} and I recommend it to everyone because {praise}."),
    ("keep_using", (3, 4), "I keep using it because {praise}, even though {minor}."),
    ("keep_using", (3, 4), "Still using it because {praise}. One request: {minor}, please fix."),
    ("keep_using", (2, 3), "I keep using it only because {praise}, but {problem}."),
    ("keep_using", (4, 5), "Use it every day to {task}. {praise_cap}."),
)

# Reviews without a stated action: opinion, feature requests, rants. Extraction should drop or
# label them "rate".
OPINION_TEMPLATES: tuple[tuple[str, tuple[int, int], str], ...] = (
    ("rate", (1, 2), "{problem_cap}. Fix it!!!"),
    ("rate", (1, 2), "Terrible since the update, {problem}."),
    ("rate", (4, 5), "Love it, {praise}."),
    ("rate", (3, 3), "It's okay. {praise_cap}, but {minor}."),
    ("rate", (5, 5), "{praise_cap}. Five stars from me."),
    ("rate", (2, 3), "Every time I try to {task} something breaks. This week {problem}."),
)

OPENERS = ("", "", "", "", "Honestly, ", "Long time user here. ", "Update: ", "So, ", "Edit after a week: ", "Quick review. ")
OPENERS_NEGATIVE = ("Ugh. ", "I really wanted to like this app. ", "Not happy. ")
CLOSERS_NEGATIVE = (
    "", "", " Please fix this.", " Very disappointed.", " 1 star until it's fixed.", " Fix it please!!",
    " Not acceptable for a {genre} app.",
)
CLOSERS_MIXED = ("", "", " Otherwise a decent app.", " Hope it gets better.", " Could be great with a few fixes.")
CLOSERS_POSITIVE = ("", "", "", " Thanks to the team!", " Keep up the good work.", " 10/10.")

# Too short or contentless: the clean stage should drop these.
SHORT_REVIEWS = ("good", "👍", "nice app", "ok", "Good", "bad", "⭐⭐⭐⭐⭐", "super", "nice", "👍👍", "Love it", "wow", ".", "best app")

# Non-English reviews (lang filter). Per app genre word is not needed: they stay generic.
FOREIGN_REVIEWS: tuple[tuple[str, int, str], ...] = (
    ("es", 1, "Desinstalé la aplicación porque no me deja iniciar sesión desde la última actualización."),
    ("es", 4, "Muy buena aplicación, la uso todos los días y nunca he tenido problemas con los pagos."),
    ("es", 2, "Intenté pagar con mi tarjeta y me salió un error. Contacté a soporte y nadie respondió."),
    ("am", 5, "በጣም ጥሩ መተግበሪያ ነው። በቀላሉ እጠቀምበታለሁ።"),
    ("am", 2, "መተግበሪያው ጥሩ ነው ግን መግባት አልቻልኩም። እባካችሁ አስተካክሉት።"),
    ("hi", 3, "ऐप अच्छा है लेकिन लॉगिन करने में बहुत दिक्कत आ रही है।"),
    ("hi", 1, "पेमेंट फेल हो गया और पैसे भी कट गए, कृपया जल्दी ठीक करें।"),
)

# Copy-pasted spam that shows up on several apps (cross-app exact duplicates; URLs to scrub).
SPAM_REVIEWS = (
    "Earn $500 a day from home!!! Visit https://quick-cash.example.net/join and use code FREE500",
    "Best app ever, follow me @promo_king_77 for free gift cards",
)

# Sentences with contact details the PII scrub must remove, appended to some reviews.
PII_SNIPPETS = (
    " You can reach me at {email} if you need logs.",
    " Call me on {phone}, I have been waiting a week.",
    " I posted screenshots here: https://imgshare.example.org/{slug}",
    " DM me on twitter {handle}.",
    " My email is {email}, nobody ever answers.",
    " Support, my number is {phone}.",
)
PHONES = ("+1 555-0100", "+1 555-0142", "(555) 010-0199", "+1-555-0123", "555 0187")

DEVELOPER_REPLIES = (
    "Hi {first}, we're sorry to hear about this. Please contact us at support@{domain} with your account email so we can look into it.",
    "Hi {first}, thanks for the feedback! Our team fixed this in version {version}. Please update and let us know if it still happens.",
    "Hello {first}, we understand how frustrating this is. Please reach out via the Help section in the app and mention this review.",
    "Hi {first}, sorry for the trouble. Could you reinstall the app and try again? If it persists, write to help@{domain}.",
)

DEVELOPER_THANKS = "Hi {first}, thank you for the kind words! We're glad {app} works well for you."

APP_STORE_TITLES_NEG = (
    "Used to be great", "Broken after update", "Fix notifications please", "Waste of money", "Frustrating",
    "Not working", "Disappointed", "Support never answers", "Please fix",
)
APP_STORE_TITLES_POS = (
    "Love it", "Best in its class", "Does the job", "Great app", "Worth it", "Solid", "Pretty good",
)

FIRST_NAMES = (
    "Sarah", "Tomas", "Amara", "Kenji", "Lucia", "Dawit", "Priya", "Oliver", "Mei", "Jonas", "Fatima",
    "Diego", "Hana", "Kwame", "Ingrid", "Ravi", "Elena", "Marcus", "Selam", "Noor", "Leo", "Yara",
)
INVENTED_SURNAMES = (
    "Quillfeather", "Brightwater", "Mossgrove", "Tindale", "Orchardly", "Fenwhistle", "Larkspur",
    "Copperfield-Nye", "Wrenwood", "Ashbury", "Thistlecombe", "Marrowby",
)
HANDLE_WORDS = ("nightowl", "coffeelover", "runner", "bluefox", "pixelpanda", "happycamper", "citybiker", "bookworm")
