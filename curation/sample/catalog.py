"""The fictional apps of the embedded sample: store metadata, review vocabulary and screens.

Everything here is invented for the sample. Each app gives the review generator its own vocabulary
(what people try to do, what goes wrong and on which screen, what they like, which rival they
switch to), and lists 3–5 screens whose visible text matches those problems, so that the anchoring
stage has something real to match.

A screen is a title plus a list of widgets, each a tuple ``(kind, *args)``:
``text``/``heading`` (str), ``input`` (hint, resource id[, value]), ``button``/``link`` (label, id),
``toggle`` (label, id, on), ``row`` (label, value, id), ``card`` (title, lines), ``error`` (message),
``image`` (content description), ``nav`` (tab labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Screen:
    stem: str  # file name without extension
    activity: str  # Android activity class (Rico's activity_name is "package/activity")
    title: str
    widgets: tuple[tuple, ...]
    sidecar: str = "json"  # "json" (Rico-style hierarchy), "txt" (visible text) or "none"


@dataclass(frozen=True)
class App:
    store: str  # "google_play" or "app_store"
    app_id: str  # package name, or the App Store numeric id
    name: str
    genre: str
    genre_id: str
    developer: str
    domain: str  # fictional support domain under example.com
    summary: str
    description: str
    color: tuple[int, int, int]  # brand colour for the screen mock-ups
    premium: str  # name of the paid plan (or paid feature)
    price: str
    competitors: tuple[str, ...]
    tasks: tuple[str, ...]  # "I was trying to <task>"
    problems: tuple[str, ...]  # clauses: "<problem>" after "because" / "when"
    praises: tuple[str, ...]  # clauses: "<praise>" after "because"
    minor_issues: tuple[str, ...]  # clauses used in mixed reviews
    versions: tuple[str, ...]  # app versions seen in reviews, oldest first
    screens: tuple[Screen, ...] = field(default=())
    review_count: int = 60


GOOGLE_PLAY_APPS: tuple[App, ...] = (
    App(
        store="google_play",
        app_id="com.example.northwindbank",
        name="Northwind Bank: Mobile Banking",
        genre="Finance",
        genre_id="FINANCE",
        developer="Northwind Bank (Sample)",
        domain="northwindbank.example.com",
        summary="Check balances, transfer money and pay bills securely on the go",
        description="Bank on the go with Northwind Bank.\n\n• Check balances and recent transactions\n"
        "• Transfer money between accounts or to friends\n• Pay bills and schedule payments\n"
        "• Freeze a lost card in seconds\n• Sign in with your fingerprint",
        color=(18, 84, 150),
        premium="Premier account",
        price="$4.99 a month",
        competitors=("Bluefin Bank", "PocketPay", "Harbor Credit Union"),
        tasks=(
            "transfer money to my sister",
            "pay my electricity bill",
            "freeze my card after losing my wallet",
            "check whether my salary had arrived",
            "send rent to my landlord",
            "deposit a cheque with the camera",
            "set up a new payee",
            "download last month's statement",
        ),
        problems=(
            "the login screen says my password is wrong even right after I reset it",
            "the fingerprint sign in option disappeared and it keeps asking for the one-time code",
            "the transfer failed with an error but the money still left my account",
            "the one-time code SMS never arrives so I cannot sign in",
            "the app logs me out every time I switch to another app",
            "the bill payment screen freezes on the confirm button",
            "it shows 'Something went wrong, please try again later' on every transfer",
            "the balance on the home screen is two days out of date",
            "the cheque deposit camera keeps saying the image is blurry",
            "I get no notification when money comes in anymore",
        ),
        praises=(
            "transfers between my accounts are instant",
            "signing in with my fingerprint takes one second",
            "I can freeze my card straight from the home screen",
            "the spending overview shows exactly where my money goes",
            "bill payments are scheduled in a couple of taps",
            "support called me back within the hour when my card was blocked",
            "the new home screen shows my balance without digging through menus",
        ),
        minor_issues=(
            "the statements take a while to load",
            "the dark mode colours are hard to read",
            "it asks me to update quite often",
            "there is no widget for the balance",
        ),
        versions=("5.8.1", "5.9.0", "5.10", "6.0.2", "6.1.0"),
        screens=(
            Screen("login", "LoginActivity", "Northwind Bank", (
                ("heading", "Welcome back"),
                ("input", "Email or username", "username"),
                ("input", "Password", "password"),
                ("button", "Sign in", "sign_in"),
                ("link", "Forgot password?", "forgot_password"),
                ("button", "Sign in with fingerprint", "fingerprint_sign_in"),
                ("text", "We will send a one-time code by SMS to confirm it's you."),
            )),
            Screen("home", "HomeActivity", "Accounts", (
                ("card", "Everyday Checking", ("Available balance", "$2,481.07")),
                ("card", "Savings", ("Available balance", "$9,120.55")),
                ("row", "Transfer money", ">", "transfer"),
                ("row", "Pay bills", ">", "pay_bills"),
                ("row", "Freeze card", ">", "freeze_card"),
                ("nav", ("Home", "Payments", "Cards", "More")),
            )),
            Screen("transfer", "TransferActivity", "Transfer money", (
                ("row", "From", "Everyday Checking", "from_account"),
                ("input", "To: name or account number", "payee", "Sister"),
                ("input", "Amount", "amount", "$150.00"),
                ("input", "Reference (optional)", "reference"),
                ("button", "Send money", "send_money"),
                ("text", "Transfers to new payees may take up to 1 business day."),
            )),
            Screen("transfer_error", "TransferActivity", "Transfer money", (
                ("error", "Something went wrong. Your transfer could not be completed. Please try again later. (Error 504)"),
                ("row", "Amount", "$150.00", "amount"),
                ("button", "Try again", "retry"),
                ("link", "Contact support", "contact_support"),
            )),
        ),
    ),
    App(
        store="google_play",
        app_id="com.example.tempomusic",
        name="Tempo Music - Songs & Podcasts",
        genre="Music & Audio",
        genre_id="MUSIC_AND_AUDIO",
        developer="Tempo Audio Labs (Sample)",
        domain="tempomusic.example.com",
        summary="Stream millions of songs and podcasts. Go Premium for offline listening",
        description="Listen to music and podcasts for free with Tempo.\n\n• Build playlists and share them\n"
        "• Daily mixes made for you\n• Tempo Premium: no ads, offline downloads, unlimited skips",
        color=(120, 40, 160),
        premium="Tempo Premium",
        price="$9.99 a month",
        competitors=("Soundwave", "BeatBox Radio", "Cadence"),
        tasks=(
            "download my playlists for a long flight",
            "make a playlist for my running club",
            "listen to a podcast on my commute",
            "cast music to my speaker at a party",
            "find the song I liked yesterday",
            "share a playlist with my friends",
            "listen offline on the subway",
        ),
        problems=(
            "my downloaded playlists vanish and say 'Not available offline'",
            "an ad plays after every second song even though I just paid",
            "the shuffle button keeps playing the same ten songs",
            "I was charged twice for Premium this month",
            "the app stops playing whenever the screen turns off",
            "the Go Premium banner covers the play button",
            "my playlists were deleted after the last update",
            "the search cannot find songs I know are on the service",
            "the cancel subscription option is hidden deep in the settings",
            "it logs me out and I lose all my downloads",
        ),
        praises=(
            "offline downloads let me listen on the subway",
            "the daily mixes actually match my taste",
            "there are no ads with Premium and the sound quality is great",
            "the family plan is cheaper than buying three subscriptions",
            "the podcast section remembers where I stopped",
            "making a shared playlist with friends is easy",
        ),
        minor_issues=(
            "the lyrics are sometimes out of sync",
            "the car mode is a bit cluttered",
            "the widget does not show album art",
            "podcasts and music are mixed in the library",
        ),
        versions=("8.7.2", "8.8.0", "8.9.14", "9.0.1"),
        screens=(
            Screen("premium", "PremiumActivity", "Tempo Premium", (
                ("heading", "Go Premium"),
                ("card", "Individual", ("$9.99 / month", "No ads", "Offline downloads", "Unlimited skips")),
                ("card", "Family", ("$15.99 / month", "Up to 6 accounts")),
                ("button", "Start 1-month free trial", "start_trial"),
                ("text", "Cancel anytime in Settings > Subscription."),
            )),
            Screen("playlist", "PlaylistActivity", "Road trip mix", (
                ("text", "42 songs - 2 h 51 min"),
                ("toggle", "Download for offline", "download_toggle", True),
                ("button", "Shuffle play", "shuffle_play"),
                ("row", "Midnight Highway", "3:41", "track_1"),
                ("row", "Paper Lanterns", "4:05", "track_2"),
                ("row", "Static Summer", "2:58", "track_3"),
                ("nav", ("Home", "Search", "Library", "Premium")),
            )),
            Screen("settings_subscription", "SettingsActivity", "Subscription", (
                ("row", "Plan", "Tempo Premium Individual", "plan"),
                ("row", "Next payment", "$9.99 on 14 May", "next_payment"),
                ("row", "Payment method", "Visa ending 0000", "payment_method"),
                ("button", "Change plan", "change_plan"),
                ("link", "Cancel subscription", "cancel_subscription"),
            )),
            Screen("offline_error", "PlaylistActivity", "Downloads", (
                ("error", "Not available offline. Connect to the internet to play this playlist."),
                ("button", "Retry download", "retry_download"),
                ("link", "Manage storage", "manage_storage"),
            )),
        ),
    ),
    App(
        store="google_play",
        app_id="com.example.zoomorides",
        name="Zoomo - Rides in Minutes",
        genre="Maps & Navigation",
        genre_id="MAPS_AND_NAVIGATION",
        developer="Zoomo Mobility (Sample)",
        domain="zoomo.example.com",
        summary="Request a ride, track your driver on the map and pay in the app",
        description="Get where you need to go with Zoomo.\n\n• Request a ride in seconds\n"
        "• Track your driver on the live map\n• Pay by card or wallet\n• Zoomo Pass: no surge fees",
        color=(20, 140, 90),
        premium="Zoomo Pass",
        price="$6.99 a month",
        competitors=("RideQuick", "CityCab", "Hopr"),
        tasks=(
            "get a ride to the airport at 5am",
            "book a car home after a late shift",
            "change my pickup point",
            "pay with my new credit card",
            "schedule a ride for my mother",
            "get a refund for a cancelled trip",
        ),
        problems=(
            "the pickup pin on the map jumps to the wrong street",
            "the driver cancelled twice and I was still charged a cancellation fee",
            "the fare doubled between the estimate and the payment screen",
            "the map shows the car arriving but it never moves",
            "my card is declined at checkout although it works everywhere else",
            "the app keeps saying 'No drivers nearby' in the middle of the city",
            "the refund request form closes before I can submit it",
            "I get no notification when the driver arrives",
            "the promo code field says my code is invalid",
        ),
        praises=(
            "drivers arrive in under five minutes",
            "the live map shows exactly where my driver is",
            "the fare estimate is the price I actually pay",
            "Zoomo Pass removed the surge fees on my daily commute",
            "I can share my trip with family for safety",
            "support refunded a wrong charge the same day",
        ),
        minor_issues=(
            "the app drains battery while tracking",
            "rating the driver pops up every time I open it",
            "the receipts are hard to find",
        ),
        versions=("4.201.10", "4.203.0", "4.210.3", "4.215.1"),
        screens=(
            Screen("map_pickup", "MapActivity", "Where to?", (
                ("image", "Map showing your pickup location"),
                ("input", "Pickup: Current location", "pickup"),
                ("input", "Where to?", "destination", "Airport Terminal 2"),
                ("button", "Confirm pickup", "confirm_pickup"),
            )),
            Screen("payment", "CheckoutActivity", "Payment", (
                ("row", "Zoomo Comfort", "$24.80", "ride_option"),
                ("row", "Payment method", "Visa ending 0000", "payment_method"),
                ("input", "Promo code", "promo_code"),
                ("button", "Request ride", "request_ride"),
                ("text", "Prices may be higher due to increased demand."),
            )),
            Screen("card_declined", "CheckoutActivity", "Payment", (
                ("error", "Your card was declined. Please choose another payment method."),
                ("button", "Add payment method", "add_payment"),
                ("link", "Help", "help"),
            )),
            Screen("notification_settings", "SettingsActivity", "Notifications", (
                ("toggle", "Driver arrival alerts", "driver_arrival", True),
                ("toggle", "Trip receipts by email", "trip_receipts", True),
                ("toggle", "Promotions", "promotions", False),
                ("text", "Turn on notifications in your phone settings to get alerts when your driver arrives."),
            )),
        ),
    ),
    App(
        store="google_play",
        app_id="com.example.forkful",
        name="Forkful: Food Delivery",
        genre="Food & Drink",
        genre_id="FOOD_AND_DRINK",
        developer="Forkful Inc. (Sample)",
        domain="forkful.example.com",
        summary="Order from local restaurants and track your delivery live",
        description="Hungry? Forkful delivers.\n\n• Thousands of local restaurants\n• Live order tracking\n"
        "• Forkful Plus: free delivery on orders over $15",
        color=(220, 70, 40),
        premium="Forkful Plus",
        price="$7.99 a month",
        competitors=("DashDine", "MealMate", "GrubGo"),
        tasks=(
            "order dinner for my family",
            "reorder my usual lunch",
            "use a coupon at checkout",
            "track my order that was 40 minutes late",
            "get a refund for a missing item",
            "change the delivery address",
        ),
        problems=(
            "the checkout button spins forever and then empties my cart",
            "the coupon is accepted but the discount never shows in the total",
            "the tracking map has the driver stuck at the restaurant for an hour",
            "half of my order was missing and the refund form does nothing",
            "the delivery fee changes after I place the order",
            "I get marketing notifications every hour even though I turned them off",
            "the app charged my card but the order never reached the restaurant",
            "the address field keeps resetting to my old apartment",
        ),
        praises=(
            "Forkful Plus pays for itself with free delivery",
            "the live tracking is accurate to the minute",
            "refunds for missing items are approved instantly",
            "reordering my usual takes two taps",
            "the restaurant selection near me is huge",
        ),
        minor_issues=(
            "the search results show closed restaurants",
            "the tip screen feels pushy",
            "photos of dishes load slowly",
        ),
        versions=("12.4.0", "12.5.1", "12.6.0", "12.7.2"),
        screens=(
            Screen("checkout", "CheckoutActivity", "Checkout", (
                ("row", "2x Pad Thai", "$25.98", "item_1"),
                ("row", "Delivery fee", "$3.49", "delivery_fee"),
                ("input", "Coupon code", "coupon_code", "SAVE10"),
                ("row", "Total", "$29.47", "total"),
                ("button", "Place order", "place_order"),
            )),
            Screen("tracking", "TrackingActivity", "Your order", (
                ("image", "Map with the courier's location"),
                ("text", "Your courier is picking up your order at Lemon Grass Kitchen"),
                ("row", "Estimated arrival", "7:45 PM", "eta"),
                ("link", "Report a problem with this order", "report_problem"),
            )),
            Screen("report_problem", "HelpActivity", "Report a problem", (
                ("heading", "What went wrong?"),
                ("row", "Missing items", ">", "missing_items"),
                ("row", "Order arrived late", ">", "late_order"),
                ("row", "I was charged but the order never arrived", ">", "charged_no_order"),
                ("button", "Request refund", "request_refund"),
            )),
            Screen("notifications", "SettingsActivity", "Notifications", (
                ("toggle", "Order updates", "order_updates", True),
                ("toggle", "Offers and promotions", "promotions", False),
                ("toggle", "Email receipts", "email_receipts", True),
                ("text", "You can change these at any time."),
            )),
        ),
    ),
    App(
        store="google_play",
        app_id="com.example.stridefit",
        name="StrideFit: Step & Run Tracker",
        genre="Health & Fitness",
        genre_id="HEALTH_AND_FITNESS",
        developer="StrideFit Health (Sample)",
        domain="stridefit.example.com",
        summary="Count steps, track runs with GPS and sync with your watch",
        description="Move more with StrideFit.\n\n• Step counter and daily goals\n• GPS run tracking with maps\n"
        "• Sync with your smartwatch\n• StrideFit Pro: training plans and advanced stats",
        color=(240, 130, 20),
        premium="StrideFit Pro",
        price="$29.99 a year",
        competitors=("RunLoop", "PaceMate", "Fitbuddy"),
        tasks=(
            "track my morning 5k",
            "sync my steps from my watch",
            "follow the half marathon plan",
            "log my walks during pregnancy",
            "see my weekly step total",
            "join the company step challenge",
        ),
        problems=(
            "the GPS map draws my run through buildings and adds two extra kilometres",
            "the watch sync has been stuck on 'Syncing…' for days",
            "my step count resets to zero at noon",
            "the reminder notifications stopped after the update",
            "the Pro training plan is locked again even though I paid",
            "the app crashes when I press Finish run and the whole run is lost",
            "the sign in with Google button does nothing",
        ),
        praises=(
            "the step counter matches my watch exactly",
            "the training plan got me to my first half marathon",
            "the weekly summary keeps me motivated",
            "it runs all day without draining the battery",
            "the run map is accurate even in the park",
        ),
        minor_issues=(
            "the badges are a bit childish",
            "the social feed is noisy",
            "the heart rate chart is small",
        ),
        versions=("3.14.0", "3.15.2", "3.16.0", "3.17.1"),
        screens=(
            Screen("sign_in", "SignInActivity", "StrideFit", (
                ("heading", "Sign in to sync your steps"),
                ("button", "Sign in with Google", "google_sign_in"),
                ("input", "Email", "email"),
                ("input", "Password", "password"),
                ("button", "Sign in", "sign_in"),
                ("link", "Forgot password?", "forgot_password"),
            ), sidecar="txt"),
            Screen("run_summary", "RunActivity", "Morning run", (
                ("image", "Map of your route"),
                ("row", "Distance", "5.02 km", "distance"),
                ("row", "Pace", "6'12\" /km", "pace"),
                ("button", "Finish run", "finish_run"),
            ), sidecar="txt"),
            Screen("sync", "DevicesActivity", "Devices", (
                ("row", "Pulse Watch 2", "Syncing...", "device_1"),
                ("text", "Last synced 3 days ago"),
                ("button", "Sync now", "sync_now"),
                ("toggle", "Daily reminder notifications", "reminders", True),
            ), sidecar="txt"),
            Screen("pro_upgrade", "ProActivity", "StrideFit Pro", (
                ("heading", "Unlock your training plan"),
                ("card", "Pro yearly", ("$29.99 / year", "Half marathon plan", "Advanced stats")),
                ("button", "Upgrade to Pro", "upgrade"),
                ("link", "Restore purchase", "restore_purchase"),
            ), sidecar="txt"),
        ),
    ),
)

APP_STORE_APPS: tuple[App, ...] = (
    App(
        store="app_store",
        app_id="1234567890",
        name="Huddle - Team Chat",
        genre="Business",
        genre_id="6000",
        developer="Huddle Software (Sample)",
        domain="huddle.example.com",
        summary="Channels, direct messages and calls for your team",
        description="Huddle brings your team together in channels.",
        color=(60, 60, 140),
        premium="Huddle Pro",
        price="$8 per user a month",
        competitors=("Chatterbox", "TeamLoop"),
        tasks=(
            "reply to my manager from my phone",
            "join the morning stand-up call",
            "find a file someone shared last week",
            "mute a noisy channel at night",
            "switch between two workspaces",
        ),
        problems=(
            "push notifications arrive hours late or not at all",
            "the app signs me out of my second workspace every morning",
            "search cannot find messages older than a month",
            "the call drops whenever I switch from Wi-Fi to mobile data",
            "the unread badge stays on even after I read everything",
            "uploading a photo fails with 'Something went wrong'",
        ),
        praises=(
            "threads keep conversations tidy",
            "huddle calls work well even on a train",
            "the do not disturb schedule protects my evenings",
            "switching workspaces is quick",
        ),
        minor_issues=(
            "the sidebar order cannot be customised",
            "emoji reactions are tiny on the iPad",
        ),
        versions=("24.05.10", "24.07.20", "25.01.10"),
        review_count=40,
        screens=(
            Screen("sign_in", "SignInViewController", "Sign in to Huddle", (
                ("input", "Work email", "email", "name@example.com"),
                ("button", "Continue", "continue"),
                ("link", "Sign in with SSO", "sso"),
                ("text", "We'll email you a magic link to sign in."),
            )),
            Screen("notification_settings", "SettingsViewController", "Notifications", (
                ("toggle", "Push notifications", "push", True),
                ("toggle", "Do not disturb 22:00-07:00", "dnd", True),
                ("row", "Notify me about", "Direct messages & mentions", "notify_scope"),
                ("button", "Troubleshoot notifications", "troubleshoot"),
            )),
            Screen("channel", "ChannelViewController", "# design-team", (
                ("text", "Alex: the new mock-ups are in the shared folder"),
                ("text", "Sam: thanks, reviewing now"),
                ("input", "Message #design-team", "composer"),
                ("button", "Send", "send"),
            )),
        ),
    ),
    App(
        store="app_store",
        app_id="1987654321",
        name="Lumen Photo Editor",
        genre="Photo & Video",
        genre_id="6008",
        developer="Lumen Imaging (Sample)",
        domain="lumen.example.com",
        summary="Filters, retouching and collages",
        description="Edit photos with pro filters.",
        color=(200, 60, 110),
        premium="Lumen Pro",
        price="$3.99 a month",
        competitors=("Prism Studio", "Snapfix"),
        tasks=(
            "remove a stranger from my holiday photo",
            "make a collage for my dad's birthday",
            "export a photo in full resolution",
            "edit RAW photos from my camera",
            "batch edit wedding photos",
        ),
        problems=(
            "exporting saves a blurry low resolution copy",
            "the free trial charged me the full year without warning",
            "the object remover leaves a smudge everywhere",
            "every filter I tap is locked behind Lumen Pro",
            "the app crashes when I import more than ten photos",
            "my edits are gone after the app restarts",
        ),
        praises=(
            "the object remover is like magic",
            "the film filters look natural",
            "exports keep the full resolution",
            "the one-time Pro purchase was worth it",
        ),
        minor_issues=(
            "the text tool has few fonts",
            "the collage templates are dated",
        ),
        versions=("7.2", "7.3.1", "7.4"),
        review_count=40,
        screens=(
            Screen("paywall", "PaywallViewController", "Lumen Pro", (
                ("heading", "Unlock all filters"),
                ("card", "Yearly", ("7-day free trial", "then $39.99 / year")),
                ("card", "Monthly", ("$3.99 / month",)),
                ("button", "Start free trial", "start_trial"),
                ("link", "Restore purchases", "restore"),
            )),
            Screen("export", "ExportViewController", "Export", (
                ("row", "Format", "JPEG", "format"),
                ("row", "Resolution", "Original (4032 x 3024)", "resolution"),
                ("button", "Save to Photos", "save"),
            ), sidecar="none"),
            Screen("editor", "EditorViewController", "Edit", (
                ("image", "Photo being edited"),
                ("row", "Remove object", "Pro", "remove_object"),
                ("row", "Filters", "24", "filters"),
                ("button", "Done", "done"),
            )),
        ),
    ),
)

APPS = GOOGLE_PLAY_APPS + APP_STORE_APPS
