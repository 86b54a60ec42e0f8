"""The sample's OPeRA-shaped shopping traces: fictional users, products and sessions on amazon.com.

A session is a list of steps ``(page, action)``. ``page`` names a page builder in ``opera.py``
(``search``, ``product``, ``cart``, ``checkout``) with its arguments; ``action`` is
``(action_type, click_type, semantic_id, input_text, rationale)`` — ``rationale`` is the shopper's
self-reported reason, or None (most real actions have none).
"""

from __future__ import annotations

# asin, title, price, rating, options
PRODUCTS = {
    "B0SAMPLE01": ("Compact 2-Quart Air Fryer, Black", "$49.99", "4.6 out of 5 stars", ["Black", "White"]),
    "B0SAMPLE02": ("XL 6-Quart Air Fryer with Window", "$89.99", "4.4 out of 5 stars", ["Steel"]),
    "B0SAMPLE03": ("Women's Lightweight Running Shoes", "$64.95", "4.5 out of 5 stars", ["7", "7.5", "8", "8.5"]),
    "B0SAMPLE04": ("Trail Running Shoes, Waterproof", "$92.00", "4.2 out of 5 stars", ["7", "8", "9"]),
    "B0SAMPLE05": ("USB-C Hub 7-in-1 with HDMI 4K", "$29.99", "4.5 out of 5 stars", ["Gray"]),
    "B0SAMPLE06": ("USB-C Hub 4-Port Slim", "$15.99", "4.1 out of 5 stars", ["Silver"]),
    "B0SAMPLE07": ("Whole Bean Coffee, Medium Roast, 2 lb", "$21.49", "4.7 out of 5 stars", ["2 lb", "5 lb"]),
    "B0SAMPLE08": ("Kids Insulated Water Bottle 12 oz", "$17.99", "4.8 out of 5 stars", ["Dinosaur", "Space", "Unicorn"]),
    "B0SAMPLE09": ("LED Desk Lamp with USB Charging Port", "$32.99", "4.3 out of 5 stars", ["White", "Black"]),
    "B0SAMPLE10": ("Clip-on Reading Light, Rechargeable", "$12.99", "4.0 out of 5 stars", ["Black"]),
}

USERS = (
    {
        "survey": {
            "Demographic Information": {
                "Gender": "Female", "Age": "25-34 years old", "City": "Springfield",
                "Education level": "Bachelor's degree", "Living situation": "With partner",
                "Yearly household income or stipend": "$50,000-$74,999", "Employment status": "Employed full time",
            },
            "Self Description": {"Two sentence description": "I am a nurse working night shifts at a city hospital. "
                                 "I cook at home in a tiny apartment kitchen and try to run three times a week."},
            "Shopping Preference": {
                "Online shopping frequency": "Once to twice a week", "Monthly online shopping spend $": "250",
                "Amazon Prime membership": "Yes",
                "To what extent do you agree with the following statements": {
                    "I usually do a lot research (e.g. reading online reviews) before making purchase.": "Strongly agree",
                    "I prioritize delivery speed and delivery fee of the product.": "Somewhat agree",
                    "I look carefully to find the best value for money when shopping online.": "Strongly agree",
                },
            },
            "Personality": {"MBTI personality type": "isfj", "Big Five Scores": {
                "Extraversion": "Medium", "Agreeableness": "High", "Conscientiousness": "High",
                "Emotional Stability": "Medium", "Intellect": "Medium"}},
        },
        "interview": "Interviewer: How do you usually shop online?\nParticipant: Mostly on my phone after a shift. "
        "I read the reviews a lot, especially the ones with photos, because my kitchen is really small.",
    },
    {
        "survey": {
            "Demographic Information": {
                "Gender": "Male", "Age": "35-44 years old", "City": "Riverton",
                "Education level": "Graduate degree or current grad student (MA, MS, MBA, etc.)", "Living situation": "Alone",
                "Yearly household income or stipend": "$100,000-$149,999", "Employment status": "Employed full time",
            },
            "Self Description": {"Two sentence description": "I am a software engineer who works from home. "
                                 "I like good coffee and buy gadgets for my desk setup."},
            "Shopping Preference": {
                "Online shopping frequency": "Three to five times a week", "Monthly online shopping spend $": "400",
                "Amazon Prime membership": "Yes",
                "To what extent do you agree with the following statements": {
                    "I usually do a lot research (e.g. reading online reviews) before making purchase.": "Somewhat agree",
                    "I shop quickly for online products, buying the first product or brand I find that seems good enough.": "Somewhat agree",
                    "Once I find a brand I like, I stick with it.": "Strongly agree",
                },
            },
            "Personality": {"MBTI personality type": "intp", "Big Five Scores": {
                "Extraversion": "Low", "Agreeableness": "Medium", "Conscientiousness": "Medium",
                "Emotional Stability": "High", "Intellect": "High"}},
        },
        "interview": "Interviewer: What matters most when you buy?\nParticipant: That it works with my laptop and "
        "arrives fast. I subscribe to things I buy every month so I don't have to think about it.",
    },
    {
        "survey": {
            "Demographic Information": {
                "Gender": "Female", "Age": "45-54 years old", "City": "Lakewood",
                "Education level": "Some college", "Living situation": "With spouse and two children",
                "Yearly household income or stipend": "$75,000-$99,999", "Employment status": "Employed part time",
            },
            "Self Description": {"Two sentence description": "I am a part-time bookkeeper and a mother of two. "
                                 "I do most of the family shopping online and watch the budget closely."},
            "Shopping Preference": {
                "Online shopping frequency": "Once to twice a week", "Monthly online shopping spend $": "300",
                "Amazon Prime membership": "No",
                "To what extent do you agree with the following statements": {
                    "I look carefully to find the best value for money when shopping online.": "Strongly agree",
                    "I prioritize delivery speed and delivery fee of the product.": "Strongly agree",
                    "The more expensive online product brands are usually my choice.": "Strongly disagree",
                },
            },
            "Personality": {"MBTI personality type": "estj", "Big Five Scores": {
                "Extraversion": "High", "Agreeableness": "High", "Conscientiousness": "Extremely high",
                "Emotional Stability": "Medium", "Intellect": "Medium"}},
        },
        "interview": "Interviewer: Tell me about a recent purchase.\nParticipant: Water bottles for the kids. "
        "I compare prices and check if shipping is free, because without Prime that adds up.",
    },
)

# (user index, start "YYYY-MM-DDTHH:MM:SS", steps). Page: (builder, *args). Action: see module doc.
SESSIONS = (
    (0, "2025-03-04T21:10:05", [
        (("search", "", [], []), ("input", None, "search_input", "air fryer small kitchen", "I need an air fryer that fits on my small counter.")),
        (("search", "air fryer small kitchen", ["B0SAMPLE02", "B0SAMPLE01"], ["Under $50", "4 Stars & Up"]), ("click", "filter", "filter_under_50", None, "I don't want to spend more than fifty dollars.")),
        (("search", "air fryer small kitchen", ["B0SAMPLE01"], ["Under $50", "4 Stars & Up"]), ("click", "product_link", "product_B0SAMPLE01", None, "It says compact and 2 quarts, which should fit next to my sink.")),
        (("product", "B0SAMPLE01"), ("click", "review", "see_all_reviews", None, "I want to check whether people with small kitchens liked it.")),
        (("product", "B0SAMPLE01"), ("click", "product_option", "option_white", None, "White matches my other appliances.")),
        (("product", "B0SAMPLE01"), ("click", "purchase", "add_to_cart_button", None, "I clicked this because the reviews mention it fits a small kitchen and it is under fifty dollars.")),
        (("cart", ["B0SAMPLE01"]), ("click", "purchase", "proceed_to_checkout", None, None)),
        (("checkout", ["B0SAMPLE01"]), ("click", "purchase", "place_order_button", None, "Free Prime delivery by Thursday, so I placed the order.")),
        (None, ("terminate", None, None, None, None)),
    ]),
    (0, "2025-03-09T08:02:40", [
        (("search", "", [], []), ("input", None, "search_input", "womens running shoes", None)),
        (("search", "womens running shoes", ["B0SAMPLE03", "B0SAMPLE04"], ["Size 8", "Prime"]), ("click", "filter", "filter_size_8", None, "I only want shoes that come in my size.")),
        (("search", "womens running shoes", ["B0SAMPLE03", "B0SAMPLE04"], ["Size 8", "Prime"]), ("click", "product_link", "product_B0SAMPLE04", None, None)),
        (("product", "B0SAMPLE04"), ("click", "nav_bar", "nav_back_to_results", None, "Too expensive for road running, I don't need waterproof.")),
        (("search", "womens running shoes", ["B0SAMPLE03", "B0SAMPLE04"], ["Size 8", "Prime"]), ("click", "product_link", "product_B0SAMPLE03", None, None)),
        (("product", "B0SAMPLE03"), ("click", "product_option", "option_8", None, None)),
        (("product", "B0SAMPLE03"), ("click", "purchase", "add_to_cart_button", None, "Lightweight and well reviewed, good for my three runs a week.")),
        (("cart", ["B0SAMPLE03"]), ("click", "cart_side_bar", "cart_sidebar_go_to_cart", None, None)),
        (None, ("terminate", None, None, None, "I'll wait for payday to check out.")),
    ]),
    (1, "2025-03-05T13:45:12", [
        (("search", "", [], []), ("input", None, "search_input", "usb c hub", None)),
        (("search", "usb c hub", [], []), ("click", "suggested_term", "suggestion_usb_c_hub_hdmi", None, "I need HDMI for my second monitor, so I picked that suggestion.")),
        (("search", "usb c hub hdmi", ["B0SAMPLE05", "B0SAMPLE06"], ["4 Stars & Up"]), ("click", "product_link", "product_B0SAMPLE05", None, "Seven ports including HDMI 4K is what my desk setup needs.")),
        (("product", "B0SAMPLE05"), ("click", "review", "see_all_reviews", None, None)),
        (("product", "B0SAMPLE05"), ("click", "quantity", "quantity_increase", None, "I want a second one for my travel bag.")),
        (("product", "B0SAMPLE05"), ("click", "purchase", "add_to_cart_button", None, None)),
        (("cart", ["B0SAMPLE05"]), ("click", "purchase", "proceed_to_checkout", None, "It works with my laptop according to the Q&A, so I'm buying.")),
        (("checkout", ["B0SAMPLE05"]), ("click", "purchase", "place_order_button", None, None)),
        (None, ("terminate", None, None, None, None)),
    ]),
    (1, "2025-03-12T07:30:00", [
        (("search", "", [], []), ("input", None, "search_input", "whole bean coffee medium roast", None)),
        (("search", "whole bean coffee medium roast", ["B0SAMPLE07"], ["4 Stars & Up", "Subscribe & Save"]), ("click", "filter", "filter_subscribe_save", None, "I buy coffee every month and want it delivered automatically.")),
        (("search", "whole bean coffee medium roast", ["B0SAMPLE07"], ["4 Stars & Up", "Subscribe & Save"]), ("click", "product_link", "product_B0SAMPLE07", None, None)),
        (("product", "B0SAMPLE07"), ("click", "product_option", "option_5_lb", None, "The 5 lb bag is cheaper per ounce.")),
        (("product", "B0SAMPLE07"), ("click", "purchase", "subscribe_button", None, "Subscribe and save gives 15% off and I never run out.")),
        (None, ("terminate", None, None, None, None)),
    ]),
    (2, "2025-03-06T19:20:44", [
        (("search", "", [], []), ("input", None, "search_input", "kids water bottle", None)),
        (("search", "kids water bottle", ["B0SAMPLE08"], ["Free Shipping"]), ("click", "page_related", "pagination_next", None, "I wanted to see more options before deciding.")),
        (("search", "kids water bottle", ["B0SAMPLE08"], ["Free Shipping"]), ("click", "filter", "filter_free_shipping", None, "Without Prime I only buy things with free shipping.")),
        (("search", "kids water bottle", ["B0SAMPLE08"], ["Free Shipping"]), ("click", "product_link", "product_B0SAMPLE08", None, None)),
        (("product", "B0SAMPLE08"), ("click", "review", "see_all_reviews", None, "I wanted to know if it leaks in a school backpack.")),
        (("product", "B0SAMPLE08"), ("click", "product_option", "option_dinosaur", None, "My son loves dinosaurs.")),
        (("product", "B0SAMPLE08"), ("click", "purchase", "add_to_cart_button", None, None)),
        (("product", "B0SAMPLE08"), ("click", "product_option", "option_unicorn", None, "And the unicorn one for my daughter.")),
        (("product", "B0SAMPLE08"), ("click", "purchase", "add_to_cart_button", None, None)),
        (("cart", ["B0SAMPLE08", "B0SAMPLE08"]), ("click", "cart_page_select", "cart_item_checkbox", None, "I double-checked both bottles are selected.")),
        (("cart", ["B0SAMPLE08", "B0SAMPLE08"]), ("click", "purchase", "proceed_to_checkout", None, None)),
        (("checkout", ["B0SAMPLE08", "B0SAMPLE08"]), ("click", "purchase", "place_order_button", None, "Total is under $40 with free shipping, good deal.")),
        (None, ("terminate", None, None, None, None)),
    ]),
    (2, "2025-03-15T10:05:10", [
        (("search", "", [], []), ("input", None, "search_input", "desk lamp", None)),
        (("search", "desk lamp", ["B0SAMPLE09", "B0SAMPLE10"], ["Under $50"]), ("click", "product_link", "product_B0SAMPLE09", None, None)),
        (("product", "B0SAMPLE09"), ("click", "review", "see_all_reviews", None, "Some reviews said the lamp flickers, I wanted to check.")),
        (("product", "B0SAMPLE09"), ("click", "nav_bar", "nav_back_to_results", None, "Too many flicker complaints.")),
        (("search", "desk lamp", ["B0SAMPLE09", "B0SAMPLE10"], ["Under $50"]), ("click", "product_link", "product_B0SAMPLE10", None, None)),
        (("product", "B0SAMPLE10"), ("click", "other", "share_button", None, "I sent it to my husband to ask if it is bright enough.")),
        (None, ("terminate", None, None, None, "I'll decide after he answers.")),
    ]),
    (1, "2025-03-18T22:15:30", [
        (("search", "", [], []), ("input", None, "search_input", "air fryer", None)),
        (("search", "air fryer", ["B0SAMPLE02", "B0SAMPLE01"], ["4 Stars & Up"]), ("click", "product_link", "product_B0SAMPLE02", None, "Big enough to cook for guests.")),
        (("product", "B0SAMPLE02"), ("click", "purchase", "add_to_cart_button", None, None)),
        (("cart", ["B0SAMPLE02"]), ("click", "quantity", "delete_item", None, "I changed my mind, it's too big for my counter.")),
        (None, ("terminate", None, None, None, None)),
    ]),
)
