"""Variables of the sample's synthetic Pew ATP Wave 17 file.

Names, column labels, value codes and value labels follow Pew's published W17 codebook (public
metadata). The respondents themselves are invented: codes are sampled from the shares below, which
are rounded marginals of the kind Pew reports, not real microdata. Refusal codes (99, or 9 where
the codebook uses 9) are ordinary labelled values, as in Pew's files.
"""

from __future__ import annotations

RESPONDENTS = 300

# name -> (column label, {code: value label}, {code: share}, share left blank (not asked))
VARIABLES: dict[str, tuple[str, dict[int, str], dict[int, float], float]] = {
    "LANGUAGE_W17": ("Language", {0: "Not applicable", 9: "English", 10: "Spanish"}, {9: 0.98, 10: 0.02}, 0.0),
    "FORM_W17": ("FORM Selection", {1: "FORM 1", 2: "FORM 2", 3: "FORM 3"}, {1: 0.34, 2: 0.33, 3: 0.33}, 0.0),
    "CONFA_W17": (
        "CONFA. How much confidence, if any, do you have in each of the following to act in the best interests "
        "of the public? Elected officials",
        {1: "A great deal of confidence", 2: "A fair amount of confidence", 3: "Not too much confidence",
         4: "No confidence at all", 99: "Refused"},
        {1: 0.02, 2: 0.24, 3: 0.55, 4: 0.18, 99: 0.01}, 0.0),
    "LOCALA_W17": (
        "LOCALA. How much, if at all, is each of the following a problem in YOUR LOCAL COMMUNITY? The quality "
        "of K-12 education in the public schools",
        {1: "Big problem in my local community", 2: "Small problem in my local community",
         3: "Not a problem in my local community", 99: "Refused"},
        {1: 0.29, 2: 0.40, 3: 0.29, 99: 0.02}, 0.0),  # asked of FORM 1 only (see generate.pew_frame)
    "F_CREGION_FINAL": ("Census region based on self-reported zipcode",
                        {1: "Northeast", 2: "Midwest", 3: "South", 4: "West"},
                        {1: 0.18, 2: 0.22, 3: 0.36, 4: 0.24}, 0.0),
    "F_AGECAT_FINAL": ("Age category", {1: "18-29", 2: "30-49", 3: "50-64", 4: "65+", 99: "Dk/Refused"},
                       {1: 0.13, 2: 0.28, 3: 0.30, 4: 0.27, 99: 0.02}, 0.01),
    "F_SEX_FINAL": ("Sex", {1: "Male", 2: "Female", 9: "Refused"}, {1: 0.48, 2: 0.51, 9: 0.01}, 0.0),
    "F_EDUCCAT_FINAL": ("Education level category",
                        {1: "College graduate+", 2: "Some college", 3: "H.S. graduate or less", 9: "Don't know/Refused"},
                        {1: 0.49, 2: 0.32, 3: 0.18, 9: 0.01}, 0.0),
    "F_RACETHN_RECRUITMENT": ("Race-Ethnicity",
                              {1: "White non-Hispanic", 2: "Black non-Hispanic", 3: "Hispanic", 4: "Other",
                               9: "Don't know/Refused (VOL.)"},
                              {1: 0.76, 2: 0.09, 3: 0.08, 4: 0.06, 9: 0.01}, 0.0),
    "F_PARTY_FINAL": ("Party", {1: "Republican", 2: "Democrat", 3: "Independent", 4: "Something else", 99: "Refused"},
                      {1: 0.26, 2: 0.36, 3: 0.28, 4: 0.08, 99: 0.02}, 0.01),
    "F_INCOME_FINAL": ("Income",
                       {1: "Less than $10,000", 2: "10 to under $20,000", 3: "20 to under $30,000",
                        4: "30 to under $40,000", 5: "40 to under $50,000", 6: "50 to under $75,000",
                        7: "75 to under $100,000", 8: "100 to under $150,000 [OR]", 9: "$150,000 or more",
                        99: "(VOL) Don't know/Refused"},
                       {1: 0.06, 2: 0.09, 3: 0.09, 4: 0.09, 5: 0.09, 6: 0.17, 7: 0.14, 8: 0.14, 9: 0.11, 99: 0.02}, 0.0),
    "F_INTUSER_FINAL": ("Household internet status", {0: "Not Internet User", 1: "Internet User"}, {0: 0.07, 1: 0.93}, 0.0),
    "F_SNSUSER_FINAL": ("Social Media Users", {1: "Social Media Users", 2: "Not Social Media Users"},
                        {1: 0.84, 2: 0.15}, 0.01),
}

# SPSS print formats as in Pew's file.
FORMATS = {"QKEY": "F12.0", "WEIGHT_W17": "F11.7", "F_AGECAT_FINAL": "F6.0", "F_PARTY_FINAL": "F6.0",
           "F_SEX_FINAL": "F1.0", "F_EDUCCAT_FINAL": "F1.0", "F_CREGION_FINAL": "F1.0"}
LABELS = {"QKEY": "QKEY", "WEIGHT_W17": "Wave 17 weight"}
