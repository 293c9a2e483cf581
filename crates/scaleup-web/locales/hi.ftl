### scaleup interface text: Hindi (हिन्दी, Devanagari). Same messages as en.ftl, the reference
### catalogue.
### Messages starting with app- also travel to the offline app; they use only variables and
### selectors on a number, and every selector ends with a default *[other] variant.
###
### WORKING TRANSLATION drafted on 2026-12-06 without review by a native speaker.
### meta-reviewed must change to "yes" only after a native speaker has reviewed every message.
###
### Everyday Hindi with the English loanwords lay counsellors use (क्लाइंट, रिकॉर्ड, साइन इन,
### सेव, रेफ़र, फ़ॉलो-अप, अलर्ट); the client is referred to with the respectful plural (आए,
### उन्हें), which is also gender-neutral enough for forms.
### Terms used (for the reviewer): client = क्लाइंट, counsellor = परामर्शदाता,
### supervisor = पर्यवेक्षक, hub = हब, hub manager = हब प्रबंधक, record = रिकॉर्ड,
### session = सत्र, risk alert = जोखिम अलर्ट, acknowledge = स्वीकार करना,
### escalated = हब को भेजा गया, competency = दक्षता, refer = रेफ़र करना.
### Plurals: CLDR Hindi "one" covers 0 and 1, so 0 takes the singular form
### ("0 रिकॉर्ड डाउनलोड हुआ"); [0] as in English.

## Review status of this catalogue: "yes" once a native speaker has reviewed every message.
meta-reviewed = no

## Frame
skip-to-content = सीधे मुख्य सामग्री पर जाएँ
nav-label = मुख्य
nav-today = आज
nav-queue = समीक्षा सूची
nav-supervision-log = पर्यवेक्षण लॉग
nav-hub = हब
sign-out = साइन आउट
language-link = भाषा
language-title = भाषा
language-choose = इंटरफ़ेस की भाषा चुनें
language-unreviewed = अभी किसी मूल भाषी ने समीक्षा नहीं की है
language-unreviewed-note = इस अनुवाद की अभी किसी मूल भाषी व्यक्ति ने समीक्षा नहीं की है।
language-unknown = यह भाषा उपलब्ध नहीं है।
save = सेव करें
cancel = रद्द करें
back = वापस

## Sign-in
signin-title = साइन इन
signin-lead = अपने हब से मिले यूज़रनेम और पासवर्ड से साइन इन करें।
field-username = यूज़रनेम
field-password = पासवर्ड
sign-in = साइन इन करें
signin-missing = अपना यूज़रनेम और पासवर्ड डालें।
signin-invalid = यूज़रनेम या पासवर्ड गलत है।
signin-wait-seconds = { $n ->
    [one] बहुत बार गलत कोशिश हुई है। { $n } सेकंड बाद फिर से कोशिश करें।
   *[other] बहुत बार गलत कोशिश हुई है। { $n } सेकंड बाद फिर से कोशिश करें।
}
signin-wait-minutes = { $n ->
    [one] बहुत बार गलत कोशिश हुई है। { $n } मिनट बाद फिर से कोशिश करें।
   *[other] बहुत बार गलत कोशिश हुई है। { $n } मिनट बाद फिर से कोशिश करें।
}
signin-locked = इस खाते में बहुत बार गलत कोशिश हुई है। उस फ़ोन या कंप्यूटर से साइन इन करें जिससे आपने पहले साइन इन किया है, या अपने हब प्रबंधक से अपना पासवर्ड रीसेट करवाने को कहें।
signin-busy = { $n ->
    [one] सर्वर व्यस्त है। { $n } सेकंड बाद फिर से कोशिश करें।
   *[other] सर्वर व्यस्त है। { $n } सेकंड बाद फिर से कोशिश करें।
}

## Roles and home
home-title = स्वागत है
home-role = आपने { $role } के रूप में साइन इन किया है।
home-api = कार्यक्रम का डेटा, विश्लेषण और एक्सपोर्ट API के ज़रिए उपलब्ध हैं:
role-admin = प्रशासक
role-hub_manager = हब प्रबंधक
role-supervisor = पर्यवेक्षक
role-counsellor = परामर्शदाता
role-researcher = शोधकर्ता
role-viewer = दर्शक

## Errors
error-forbidden = आपकी भूमिका में यह पेज खोलने की अनुमति नहीं है।
error-not-found = यह पेज मौजूद नहीं है या आपके क्लाइंटों से जुड़ा नहीं है।
error-form-expired = इस फ़ॉर्म का समय खत्म हो गया है या यह scaleup से नहीं आया। पेज फिर से लोड करें और दोबारा कोशिश करें।

## Supervisor: queue
queue-title = समीक्षा सूची
queue-lead = आपके परामर्शदाताओं के वे क्लाइंट जिन पर ध्यान देना ज़रूरी है, सबसे ज़रूरी पहले।
queue-empty = अभी किसी चीज़ पर आपका ध्यान ज़रूरी नहीं है।
queue-alerts = खुले जोखिम अलर्ट
queue-flagged = चिह्नित क्लाइंट
queue-client = क्लाइंट
queue-counsellor = परामर्शदाता
queue-flags = कारण
queue-due = जवाब की समय-सीमा
queue-overdue = समय बीत गया
flag-risk = जोखिम अलर्ट
flag-no_improvement = सुधार नहीं
flag-missed_sessions = छूटे हुए सत्र
flag-overdue = सत्र में देरी
flag-dropout = बीच में छोड़ दिया
acknowledge = स्वीकार करें
open-client = क्लाइंट खोलें
queue-counsellors = आपके परामर्शदाता
queue-coaching = कोचिंग
queue-rate = दक्षता का मूल्यांकन
alert-level-urgent = तत्काल
alert-level-routine = सामान्य
alert-status-open = खुला
alert-status-acknowledged = स्वीकार किया गया
alert-status-escalated = हब को भेजा गया

## Supervisor: alert
alert-title = जोखिम अलर्ट
alert-raised = जारी हुआ
alert-rule = कारण
alert-history = अब तक क्या किया गया
alert-history-empty = अभी कुछ दर्ज नहीं है।
alert-ack-title = स्वीकार करें और कार्रवाई करें
alert-ack-actions = आपने क्या किया? जो भी लागू हों, सब चुनें।
alert-note = टिप्पणी (वैकल्पिक)
alert-note-hint = यहाँ क्लाइंट का नाम न लिखें।
alert-followup-title = फ़ॉलो-अप जोड़ें
alert-ack-done = स्वीकार किया गया।
alert-followup-done = फ़ॉलो-अप सेव हो गया।
alert-choose-action = कम से कम एक कार्रवाई चुनें।
action-contacted_client = क्लाइंट से संपर्क किया
action-safety_plan_made = सुरक्षा योजना बनाई
action-referred_emergency = आपातकालीन सेवा में रेफ़र किया
action-referred_specialist = विशेषज्ञ के पास रेफ़र किया
action-home_visit = घर जाकर मुलाक़ात की
action-risk_assessed_low = जोखिम कम आँका
action-called_counsellor = परामर्शदाता को फ़ोन किया
action-visited_with_counsellor = परामर्शदाता के साथ मिलने गए
action-supervision_scheduled = पर्यवेक्षण तय किया
action-client_not_reached = कोशिश की, पर क्लाइंट से संपर्क नहीं हो पाया
history-acknowledge = स्वीकार किया गया
history-follow_up = फ़ॉलो-अप
history-escalate = हब को भेजा गया

## Supervisor: client
client-title = क्लाइंट { $code }
client-programme = कार्यक्रम
client-counsellor = परामर्शदाता
client-status = स्थिति
client-sessions = जिन सत्रों में आए
client-trend = समय के साथ परिणाम
client-records = रिकॉर्ड
client-no-scores = अभी कोई स्कोर नहीं।
episode-active = इलाज जारी है
episode-closed = बंद
episode-none = नामांकन नहीं हुआ

## Supervisor: supervision session
supervision-title = पर्यवेक्षण सत्र
supervision-date = तारीख
supervision-minutes = अवधि (मिनट)
supervision-format = तरीका
format-individual = व्यक्तिगत
format-group = समूह
format-remote = दूर से
supervision-counsellors = उपस्थित परामर्शदाता
supervision-notes = नोट्स
supervision-actions = आगे के काम (हर पंक्ति में एक)
supervision-saved = पर्यवेक्षण सत्र सेव हो गया।
supervision-recent = हाल के पर्यवेक्षण सत्र

## Supervisor: competency rating
rating-title = दक्षता मूल्यांकन: { $name }
rating-lead = हर दक्षता के लिए तीन सवालों के जवाब दें। स्तर आपके जवाबों से निकाला जाता है।
rating-method = आपने कैसे देखा?
method-role_play = रोल प्ले
method-observed_session = देखा गया सत्र
method-recorded_session = रिकॉर्ड किया गया सत्र
rating-harmful = बेकार या नुकसानदेह व्यवहार देखा गया
rating-basic = दिखाए गए बुनियादी कौशल
basic-none = कोई नहीं
basic-some = कुछ
basic-all = सभी
rating-advanced = कम से कम एक उन्नत कौशल दिखाया गया
rating-level = स्तर { $level }
rating-saved = मूल्यांकन सेव हो गया।
rating-safety-flag = एक दक्षता को नुकसानदेह स्तर पर आँका गया: हब के क्लिनिकल प्रमुख को पर्यवेक्षण सुरक्षा संकेत भेजा गया है।
yes = हाँ
no = नहीं

## Supervisor: coaching view
coaching-title = कोचिंग: { $name }
coaching-lead = कोचिंग की बातचीत के लिए, रैंकिंग के लिए नहीं।
coaching-caseload = सक्रिय क्लाइंट
coaching-sessions-week = हर हफ़्ते सत्र (पिछले 8 हफ़्ते)
coaching-components = प्रोटोकॉल के दिए गए हिस्से
coaching-improving = सुधार वाले क्लाइंट
coaching-competency = समय के साथ दक्षता स्तर
coaching-no-ratings = अभी कोई दक्षता मूल्यांकन नहीं।

## Hub
hub-title = हब
hub-flags = पर्यवेक्षण सुरक्षा संकेत
hub-flags-empty = कोई खुला सुरक्षा संकेत नहीं।
hub-escalated = हब को भेजे गए जोखिम अलर्ट
hub-escalated-empty = हब को कोई अलर्ट नहीं भेजा गया।

## The offline app (messages the device formats itself)
app-title = आज
app-today = आज
app-new-client = नया क्लाइंट
app-send-now = अभी भेजें
app-pending = { $n ->
    [0] भेजने को कुछ बाकी नहीं
    [one] { $n } रिकॉर्ड भेजना बाकी है
   *[other] { $n } रिकॉर्ड भेजने बाकी हैं
}
app-sending = भेजा जा रहा है…
app-offline = ऑफ़लाइन: रिकॉर्ड इस फ़ोन पर रखे गए हैं और ऑनलाइन होने पर भेज दिए जाएँगे।
app-online = ऑनलाइन
app-unreachable = सर्वर से संपर्क नहीं हो पा रहा। आपके रिकॉर्ड इस फ़ोन पर रखे गए हैं और बाद में भेज दिए जाएँगे।
app-last-sync = पिछली बार भेजा: { $when }
app-never-synced = अभी तक नहीं भेजा
app-storage-persisted = स्टोरेज: ब्राउज़र इसे सँभालकर रखेगा
app-storage-not-persisted = स्टोरेज: फ़ोन में जगह कम होने पर ब्राउज़र इसे मिटा सकता है। इसे बचाए रखने के लिए scaleup को होम स्क्रीन पर जोड़ें।
app-no-indexeddb = यह ब्राउज़र रिकॉर्ड ऑफ़लाइन नहीं रख सकता (प्राइवेट ब्राउज़िंग?)। जब तक सामान्य ब्राउज़र विंडो इस्तेमाल न करें, कुछ भी दर्ज न करें।
app-signed-out = आप साइन आउट हैं। इस फ़ोन पर scaleup इस्तेमाल करने के लिए ऑनलाइन रहते हुए साइन इन करें।
app-session-ended = आपका लॉगिन समाप्त हो गया है। अपने रिकॉर्ड भेजने के लिए फिर से साइन इन करें; कुछ भी खोया नहीं है।
app-sign-in = साइन इन करें
app-first-sync = आपके क्लाइंटों की सूची डाउनलोड हो रही है…
app-first-sync-progress = { $n ->
    [one] { $n } रिकॉर्ड डाउनलोड हुआ
   *[other] { $n } रिकॉर्ड डाउनलोड हुए
}
app-update-ready = एक अपडेट तैयार है। यह फ़ॉर्म पूरा करने के बाद लागू होगा।
app-update-apply = अभी अपडेट करें
app-section-alerts = खुले जोखिम अलर्ट
app-section-due = आज के सत्र
app-section-overdue = देरी वाले
app-section-missed = छूटे हुए सत्र
app-section-upcoming = आने वाले
app-nothing-due = आज कोई सत्र नहीं है।
app-session-n = सत्र { $n }
app-due-on = तारीख: { $date }
app-overdue-days = { $n ->
    [one] { $n } दिन की देरी
   *[other] { $n } दिन की देरी
}
app-alert-open = जोखिम अलर्ट: आपके पर्यवेक्षक के जवाब का इंतज़ार
app-alert-acknowledged = आपके पर्यवेक्षक ने जोखिम अलर्ट स्वीकार किया
app-alert-escalated = जोखिम अलर्ट हब को भेजा गया
app-outbox = इस फ़ोन पर रिकॉर्ड
app-outbox-empty = सभी रिकॉर्ड भेज दिए गए हैं।
app-status-pending = बाकी
app-status-sent = भेजा गया
app-status-rejected = अस्वीकार
app-status-conflict = भेजा गया, पर्यवेक्षक देखेंगे
app-discard = हटाएँ
app-download-unsent = न भेजे गए रिकॉर्ड डाउनलोड करें
app-kind-client = क्लाइंट
app-kind-client_identity = संपर्क विवरण
app-kind-consent = सहमति
app-kind-assessment = आकलन
app-kind-eligibility = पात्रता
app-kind-episode = नामांकन
app-kind-session = सत्र
app-kind-referral = रेफ़रल
app-signout-title = साइन आउट
app-signout-unsent = { $n ->
    [one] { $n } रिकॉर्ड अभी तक नहीं भेजा गया है।
   *[other] { $n } रिकॉर्ड अभी तक नहीं भेजे गए हैं।
}
app-signout-explain = न भेजे गए रिकॉर्ड इस फ़ोन पर रहेंगे, दूसरों से छिपे रहेंगे, और अगली बार यहाँ साइन इन करने पर भेज दिए जाएँगे। आप उन्हें अभी डाउनलोड भी कर सकते हैं।
app-signout-anyway = फिर भी साइन आउट करें
app-stay = साइन इन रहें
app-client-given-name = पहला नाम
app-client-family-name = सरनेम
app-client-phone = फ़ोन
app-client-sex = लिंग
app-sex-female = महिला
app-sex-male = पुरुष
app-sex-other = अन्य
app-sex-unknown = दर्ज नहीं
app-client-birth-year = जन्म का वर्ष
app-client-facility = स्वास्थ्य केंद्र
app-client-programme = कार्यक्रम
app-consent-treatment = क्लाइंट जाँच और इलाज के लिए सहमत हैं
app-consent-research = क्लाइंट सहमत हैं कि उनका पहचान-रहित डेटा शोध में इस्तेमाल हो
app-consent-required = रजिस्टर करने से पहले क्लाइंट का जाँच और इलाज के लिए सहमत होना ज़रूरी है।
app-required = यह ज़रूरी है।
app-invalid-year = { $min } और { $max } के बीच का वर्ष डालें।
app-save = सेव करें
app-cancel = रद्द करें
app-episode-active = इलाज जारी है
app-episode-closed = इलाज समाप्त
app-episode-none = नामांकन नहीं हुआ
app-saved-pending = इस फ़ोन पर सेव हो गया। ऑनलाइन होने पर भेज दिया जाएगा।
app-client-page = क्लाइंट
app-screen = { $instrument } से जाँच करें
app-measure = { $instrument } भरें
app-enrol = इलाज का प्रस्ताव दें
app-record-decision = निर्णय दर्ज करें
app-record-session = सत्र दर्ज करें
app-refer = रेफ़र करें
app-close-episode = इलाज बंद करें
app-next-step = अगला कदम
app-sessions-attended = { $n ->
    [one] { $n } सत्र में आए
   *[other] { $n } सत्रों में आए
}
app-trend = समय के साथ परिणाम
app-no-trend = अभी कोई स्कोर नहीं।
app-item-n = सवाल { $n }
app-fallback-marker = (अंग्रेज़ी में: अभी अनुवाद नहीं हुआ)
app-answered = { $total } में से { $n } के जवाब दिए
app-score = स्कोर
app-total = कुल: { $total }
app-band = { $band }
app-incomplete = अधूरा: कुल स्कोर के लिए हर सवाल का जवाब दें।
app-incomplete-missing = सेव करने से पहले हर सवाल का जवाब दें। जिन सवालों का जवाब नहीं दिया: { $items }।
app-risk-flag = जोखिम: { $message }
app-server-score = सर्वर ने पुष्टि की: कुल { $total }
app-eligible = { $programme } के लिए पात्र: इलाज का प्रस्ताव दें।
app-not-eligible = प्रोटोकॉल के नियम के अनुसार { $programme } के लिए पात्र नहीं।
app-excluded-refer = रेफ़र करें: प्रोटोकॉल के अनुसार यहाँ इलाज नहीं दिया जा सकता ({ $rule })। सुरक्षा के कदम अपनाएँ।
app-excluded = पात्र नहीं: प्रोटोकॉल के अनुसार बाहर ({ $rule })।
app-safety-title = सुरक्षा के कदम
app-safety-step = कदम { $n } (कुल { $total })
app-safety-ask-title = पूछें
app-safety-ask = शांति से और सीधे पूछें: “क्या आपके मन में अपना जीवन खत्म करने के विचार आ रहे हैं? क्या आपने इसकी कोई योजना बनाई है? क्या आपके पास इसका कोई साधन है?” बिना आलोचना किए सुनें।
app-safety-keep-title = सुरक्षित रखें
app-safety-keep = अगर क्लाइंट के पास योजना या साधन है, या उन्होंने ऐसा करने की कोशिश की है: उन्हें अकेले न छोड़ें, अगर सुरक्षित रूप से कर सकें तो साधन हटा दें, और किसी ऐसे व्यक्ति को साथ लें जिस पर वे भरोसा करते हों।
app-safety-call-title = फ़ोन करें
app-safety-call = अभी अपने पर्यवेक्षक को फ़ोन करें। आपके पर्यवेक्षक को अलर्ट भेजा जा चुका है और उन्हें { $hours } घंटे के भीतर जवाब देना है।
app-safety-call-who = आपके पर्यवेक्षक: { $name }
app-safety-emergency = अगर तुरंत खतरा है, तो स्थानीय आपातकालीन नंबर पर फ़ोन करें।
app-safety-record-title = दर्ज करें
app-safety-record = आपने जो किया, उसे दर्ज करें। अगर आपने क्लाइंट को रेफ़र किया है, तो रेफ़रल अभी दर्ज करें।
app-safety-next = आगे
app-safety-done = हो गया
app-safety-source = WHO mhGAP इंटरवेंशन गाइड 2.0 के आत्म-हानि/आत्महत्या मॉड्यूल से।
app-offer-accepted = क्लाइंट इलाज के लिए तैयार हैं
app-offer-declined = क्लाइंट ने मना किया
app-decline-reason = मना करने का कारण
app-decline-no_time = समय नहीं है
app-decline-distance = बहुत दूर है
app-decline-cost = खर्च
app-decline-family_objection = परिवार को आपत्ति है
app-decline-stigma = कलंक का डर
app-decline-not_needed = उन्हें ज़रूरत नहीं लगती
app-decline-prefers_other_care = कोई और इलाज पसंद है
app-decline-other = अन्य
app-session-number = सत्र संख्या
app-session-date = तारीख
app-session-attendance = क्या क्लाइंट आया?
app-session-attended = क्लाइंट आए
app-session-missed = क्लाइंट नहीं आए
app-session-minutes = अवधि (मिनट)
app-session-modality = कैसे
app-modality-individual = आमने-सामने
app-modality-group = समूह में
app-modality-remote = फ़ोन पर
app-session-components = आपने किन बातों पर काम किया?
app-planned = इस सत्र के लिए तय
app-date-future = तारीख भविष्य की नहीं हो सकती।
app-refer-to = कहाँ रेफ़र करें
app-service-primary_care_doctor = प्राथमिक स्वास्थ्य सेवा के डॉक्टर
app-service-psychiatry = मनोचिकित्सा
app-service-emergency = आपातकालीन सेवाएँ
app-service-social_services = सामाजिक सेवाएँ
app-service-other = अन्य सेवा
app-refer-reason = कारण
app-reason-suicide_risk = आत्महत्या का जोखिम
app-reason-no_improvement = सुधार नहीं
app-reason-psychosis = संभावित साइकोसिस (मनोविकृति)
app-reason-medical = शारीरिक स्वास्थ्य समस्या
app-reason-other = अन्य
app-urgency = कितना ज़रूरी
app-urgency-routine = सामान्य
app-urgency-urgent = तत्काल
app-urgency-emergency = आपातकालीन
app-close-reason = इलाज क्यों खत्म हो रहा है?
app-closure-completed = पूरा हुआ
app-closure-dropped_out = बीच में छोड़ दिया
app-closure-referred = रेफ़र किया गया
app-closure-transferred = स्थानांतरित
app-closure-died = मृत्यु हो गई
app-close-date = तारीख
app-not-found = यह क्लाइंट इस फ़ोन पर नहीं है।
app-error-reason = कारण: { $message }
app-search = क्लाइंट खोजें
app-all-clients = मेरे सभी क्लाइंट
app-show-all = सभी { $n } दिखाएँ
app-no-clients = अभी कोई क्लाइंट नहीं। “नया क्लाइंट” से किसी को रजिस्टर करें।

## Programme dashboard
nav-dashboard = डैशबोर्ड
dash-title = कार्यक्रम डैशबोर्ड
dash-forbidden = आपकी भूमिका में कार्यक्रम के आँकड़े शामिल नहीं हैं। ज़रूरत हो तो अपने हब प्रबंधक से पूछें।
dash-bad-level = डैशबोर्ड की तालिका से कोई क्षेत्र या ज़िला चुनें।
dash-no-unit = इस कार्यक्रम के पास उस जगह के आँकड़े नहीं हैं। सभी जगहों पर वापस जाएँ।
dash-programme = कार्यक्रम
dash-show = दिखाएँ
dash-choose = आँकड़े देखने के लिए कोई कार्यक्रम चुनें।
dash-scope = कहाँ
dash-all-units = सभी जगहें
dash-cascade = प्रभावी कवरेज: हर चरण पर पहुँचे ज़रूरतमंद लोग
dash-months = जाँचे गए और नामांकित, महीने दर महीने
dash-targets = प्रोटोकॉल के लक्ष्यों की तुलना में
dash-target-at-least = लक्ष्य: कम से कम { $share }
dash-target-at-most = लक्ष्य: अधिक से अधिक { $share }
dash-target-source = लक्ष्य तय किया: { $source }
dash-reach-by-sex = लिंग के अनुसार पहुँच
dash-reach-by-age = आयु वर्ग के अनुसार पहुँच
dash-units-region = क्षेत्र
dash-units-district = ज़िले
dash-units-facility = स्वास्थ्य केंद्र
dash-unit = जगह
dash-none = अभी कोई आँकड़े नहीं।
dash-counsellors = परामर्शदाता: निष्ठा, खुराक और दक्षता
dash-counsellor = परामर्शदाता
dash-suppressed = { $k } से कम की गिनती <{ $k } के रूप में दिखाई जाती है ताकि किसी को पहचाना न जा सके।
dash-download = आँकड़े डाउनलोड करें (CSV)
dash-costs-link = प्रति ग्राहक कार्यान्वयन लागत, वर्ष-दर-वर्ष
cost-title = कार्यान्वयन लागत
cost-note = हब के सभी कार्यक्रम: हर वर्ष दर्ज सत्र, पर्यवेक्षण और प्रशिक्षण, हब द्वारा सहेजी गई मूल्य सूचियों से आँके गए (Proctor की कार्यान्वयन लागत)।
cost-year = वर्ष
cost-clients = पहुँचे ग्राहक
cost-sessions = सत्र
cost-total = कुल लागत
cost-per-client = प्रति ग्राहक लागत
cost-per-session = प्रति सत्र लागत
cost-price-list = मूल्य सूची
cost-missing = जिन वर्षों की लागत नहीं निकली
cost-no-prices = { $hub } के लिए { $year } की कोई मूल्य सूची नहीं है।
cost-upload = मूल्य सूची अपलोड करें
cost-no-activity = अभी तक कोई गतिविधि दर्ज नहीं हुई।
dash-definitions = संकेतकों के नाम अनुवादित हैं; उनकी परिभाषाएँ अंग्रेज़ी में हैं (docs/indicators.md)।
dash-every = सभी संकेतक
dash-every-note = शुरू से अब तक, ऊपर दी गई जगह के लिए। किसी ढाँचे को खोलकर उसके संकेतक, उनका आधार और उनकी परिभाषा देखें।

## Indicator and framework names (the dashboard): names only, definitions stay in English.
## WORKING TRANSLATION, not reviewed by a native speaker (see the top of this file). For the
## reviewer: RE-AIM's dimensions keep their English word in brackets, since the acronym is
## built from them; clinical terms programme staff say in English stay as loanwords
## (रिस्पॉन्स = response, रेमिशन = remission, पर्सेंटाइल = percentile); treatment gap =
## उपचार अंतराल, fidelity = निष्ठा, dose = खुराक, penetration = पैठ, median = माध्यिका.
ind-framework-reach = RE-AIM: पहुँच (Reach)
ind-framework-effectiveness = RE-AIM: प्रभावशीलता (Effectiveness)
ind-framework-adoption = RE-AIM: अपनाया जाना (Adoption)
ind-framework-implementation = RE-AIM: कार्यान्वयन (Implementation)
ind-framework-maintenance = RE-AIM: निरंतरता (Maintenance)
ind-framework-proctor = कार्यान्वयन परिणाम (Proctor)
ind-framework-coverage = प्रभावी कवरेज और उपचार अंतराल
ind-registered = पंजीकृत क्लाइंट
ind-screened = जाँचे गए क्लाइंट
ind-eligible = पात्र क्लाइंट
ind-offered = पात्र क्लाइंट जिन्हें उपचार की पेशकश की गई
ind-enrolled = नामांकित क्लाइंट
ind-reach = पहुँच (नामांकित ÷ पात्र)
ind-reach_participation = पेशकश पाने वालों में भागीदारी
ind-reach_conservative = पहुँच (न्यूनतम अनुमान)
ind-eligible_non_participants = भाग न लेने वाले पात्र क्लाइंट
ind-declined = पेशकश अस्वीकार की
ind-decline_reason_no_time = अस्वीकार: समय नहीं
ind-decline_reason_distance = अस्वीकार: दूरी
ind-decline_reason_cost = अस्वीकार: खर्च
ind-decline_reason_family_objection = अस्वीकार: परिवार की आपत्ति
ind-decline_reason_stigma = अस्वीकार: कलंक का डर
ind-decline_reason_not_needed = अस्वीकार: ज़रूरत नहीं लगती
ind-decline_reason_prefers_other_care = अस्वीकार: कोई और उपचार पसंद
ind-decline_reason_other = अस्वीकार: अन्य कारण
ind-completion = उपचार पूरा होना
ind-dropout = उपचार बीच में छोड़ना
ind-phq9_response = PHQ-9 पर रिस्पॉन्स
ind-phq9_remission = PHQ-9 पर रेमिशन (< 5)
ind-phq9_mean_change = PHQ-9 में औसत बदलाव
ind-outcome_response = मुख्य परिणाम पर रिस्पॉन्स
ind-outcome_remission = मुख्य परिणाम पर रेमिशन
ind-outcome_mean_change = मुख्य परिणाम में औसत बदलाव
ind-reliable_improvement = विश्वसनीय सुधार (RCI)
ind-reliable_deterioration = विश्वसनीय गिरावट (RCI)
ind-adverse_events = देखभाल के दौरान जोखिम अलर्ट
ind-adoption_facilities = सत्र देने वाले स्वास्थ्य केंद्र
ind-adoption_counsellors = सत्र देने वाले प्रशिक्षित परामर्शदाता
ind-fidelity = निष्ठा (दिए गए हिस्से)
ind-dose = खुराक (उपस्थित सत्र ÷ नियोजित सत्र)
ind-adequate_dose = पर्याप्त खुराक पूरी हुई
ind-competency_level_1 = स्तर 1 (नुकसानदेह) पर दक्षता रेटिंग
ind-competency_level_2 = स्तर 2 पर दक्षता रेटिंग
ind-competency_level_3 = स्तर 3 पर दक्षता रेटिंग
ind-competency_level_4 = स्तर 4 पर दक्षता रेटिंग
ind-counsellors_competent = दक्ष परामर्शदाता (सभी दक्षताएँ ≥ स्तर 3)
ind-supervision_coverage = पर्यवेक्षण कवरेज (पिछले 30 दिन)
ind-alert_response_median_hours = जोखिम अलर्ट पर प्रतिक्रिया का समय, माध्यिका
ind-alert_response_p90_hours = जोखिम अलर्ट पर प्रतिक्रिया का समय, 90वाँ पर्सेंटाइल
ind-alert_response_within_limit = प्रोटोकॉल की समय-सीमा में स्वीकार किए गए जोखिम अलर्ट
ind-maintenance_facilities = सहायता खत्म होने के 6 महीने बाद भी सत्र देने वाली जगहें
ind-maintenance_followup = आख़िरी संपर्क के 6 महीने बाद फ़ॉलो-अप
ind-maintenance_response = आख़िरी संपर्क के 6 महीने बाद भी बना रहा रिस्पॉन्स
ind-penetration_clients = पैठ (क्लाइंट)
ind-penetration_providers = पैठ (सेवा प्रदाता)
ind-acceptability_aim = स्वीकार्यता (AIM औसत)
ind-appropriateness_iam = उपयुक्तता (IAM औसत)
ind-feasibility_fim = व्यवहार्यता (FIM औसत)
ind-need = ज़रूरतमंद आबादी
ind-coverage_contact = संपर्क कवरेज
ind-coverage_adequate_dose = पर्याप्त खुराक के साथ कवरेज
ind-coverage_quality = गुणवत्ता-समायोजित कवरेज
ind-coverage_effective = प्रभावी कवरेज
ind-treatment_gap = उपचार अंतराल

## Hub console (hub managers and admins)
nav-console = कंसोल
console-tabs-label = हब कंसोल
console-users = उपयोगकर्ता
console-org-units = इकाइयाँ
console-programmes = कार्यक्रम
console-definitions = परिभाषाएँ
console-audit = ऑडिट लॉग
console-conflicts = सिंक टकराव
console-users-title = उपयोगकर्ता
console-users-caption = आपके प्रबंधन वाले खाते, उपयोगकर्ता नाम के क्रम में
console-username = उपयोगकर्ता नाम
console-display-name = नाम
console-role = भूमिका
console-all-hubs = सभी हब
console-hub = हब
console-status = स्थिति
console-actions = कार्रवाई
console-active = सक्रिय
console-deactivated = निष्क्रिय
console-deactivate = निष्क्रिय करें
console-reactivate = फिर से सक्रिय करें
console-move = क्लाइंट स्थानांतरित करें
console-reset-password = पासवर्ड रीसेट करें
console-new-password = नया पासवर्ड
console-next-page = अगला पेज
console-create-user = नया खाता
console-supervisor = पर्यवेक्षक (परामर्शदाता के लिए)
console-password = पासवर्ड
console-create = खाता बनाएँ
console-role-required = खाते के लिए भूमिका चुनें।
console-deactivate-self = आप अपना खाता निष्क्रिय नहीं कर सकते: किसी दूसरे हब प्रबंधक या प्रशासक से कहें।
console-move-title = क्लाइंट स्थानांतरित करें
console-move-heading = { $name } के क्लाइंट स्थानांतरित करें
console-move-to = जो परामर्शदाता ज़िम्मेदारी लेंगे
console-move-confirm = { $from } के सक्रिय क्लाइंट { $to } को स्थानांतरित करें?
console-move-history = हर क्लाइंट के रिकॉर्ड, खुले अलर्ट और इतिहास उनके साथ जाते हैं; स्थानांतरण ऑडिट लॉग में दर्ज होता है। जिन क्लाइंट की देखभाल पूरी हो चुकी है, वे अपने परामर्शदाता के पास रहते हैं।
console-move-do = स्थानांतरित करें
console-move-none = इस हब में क्लाइंट लेने के लिए कोई दूसरा सक्रिय परामर्शदाता नहीं है।
console-move-choose = ज़िम्मेदारी लेने वाले परामर्शदाता को चुनें।
console-continue = आगे बढ़ें
console-not-counsellor = केवल परामर्शदाता के क्लाइंट स्थानांतरित किए जा सकते हैं।
console-org-units-title = इकाइयाँ
console-org-units-intro = देखभाल की ज़रूरत = क्षेत्र की जनसंख्या × व्यापकता: दोनों दें, और बताएँ कि व्यापकता का आँकड़ा कहाँ से है।
console-name = नाम
console-catchment = क्षेत्र की जनसंख्या
console-prevalence = व्यापकता (%)
console-prevalence-hint = प्रतिशत, जैसे 4.5। मिटाने के लिए खाली छोड़ें।
console-prevalence-source = व्यापकता का स्रोत
console-catchment-invalid = क्षेत्र की जनसंख्या: लोगों की पूरी संख्या दें।
console-prevalence-invalid = व्यापकता: 0 से 100 के बीच प्रतिशत दें।
console-none = अभी दिखाने के लिए कुछ नहीं है।
console-programmes-title = कार्यक्रम
console-protocol = प्रोटोकॉल
console-alert-hours = जोखिम अलर्ट स्वीकार करने के घंटे
console-hours-invalid = स्वीकार करने के घंटे: घंटों की पूरी संख्या दें।
console-definitions-title = परिभाषाएँ
console-upload = परिभाषा फ़ाइल अपलोड करें
console-file = फ़ाइल (TOML, या XLSForm .xlsx)
console-file-hint = उपकरण, प्रोटोकॉल, दक्षता ढाँचा, आइटम-पाठ या मूल्य-सूची फ़ाइल, अधिकतम 512 KB। यह बिना रीस्टार्ट के तुरंत लागू होती है।
console-xlsform-hint = एक XLSForm (.xlsx) एक उपकरण बन जाता है, हर दूसरी भाषा के लिए प्रश्नों के पाठ के साथ: पूर्णांक विकल्पों वाले select_one प्रश्न और सीमा वाले integer प्रश्न। बाकी सब शीट, पंक्ति और कॉलम बताकर अस्वीकार किया जाता है।
console-licence = XLSForm के पाठ का लाइसेंस
console-licence-unknown = नहीं बताया गया: कोई पाठ न रखें
console-licence-attribution = श्रेय के साथ मुक्त: पाठ रखें
console-licence-open = खुला: पाठ रखें
console-scope = किस पर लागू
console-scope-network = सभी हब (पूरा नेटवर्क)
console-upload-do = अपलोड करें
console-upload-refused = यह फ़ाइल सेव नहीं हुई:
console-upload-fix = दिखाई गई पंक्ति पर फ़ाइल ठीक करें और फिर से अपलोड करें। कुछ भी नहीं बदला गया।
console-line = पंक्ति
console-field = फ़ील्ड
console-problem = समस्या
console-definitions-stored = सेव की गई फ़ाइलें
console-definitions-version = लागू परिभाषा संस्करण: { $version }।
console-definitions-none = अभी कोई फ़ाइल अपलोड नहीं हुई: अंतर्निहित परिभाषाएँ लागू हैं।
console-kind = प्रकार
console-code = कोड
console-version = संस्करण
console-added = जोड़ा गया
console-hub-required = वह हब चुनें जिस पर फ़ाइल लागू होती है।
console-file-required = अपलोड करने के लिए फ़ाइल चुनें।
console-file-too-large = फ़ाइल बहुत बड़ी है: परिभाषा फ़ाइलें अधिकतम 512 KB की होती हैं।
console-file-not-text = फ़ाइल UTF-8 टेक्स्ट नहीं है: इसे UTF-8 TOML फ़ाइल के रूप में सेव करके फिर अपलोड करें।
console-audit-title = ऑडिट लॉग
console-audit-actor = कौन (उपयोगकर्ता नाम)
console-audit-action = कार्रवाई
console-audit-action-hint = कार्रवाई की शुरुआत काफ़ी है: user. से खातों की सभी घटनाएँ मिलती हैं।
console-audit-from = से
console-audit-to = तक
console-audit-at = कब (UTC)
console-audit-entity = क्या
console-audit-none = कोई घटना मेल नहीं खाती।
console-audit-system = सिस्टम
console-audit-bad-date = { $field }: तारीख YYYY-MM-DD के रूप में दें।
console-filter = फ़िल्टर करें
console-clear = हटाएँ
console-older = पुरानी घटनाएँ
console-conflicts-title = सिंक टकराव
console-conflicts-intro = एक फ़ोन ने ऐसे रिकॉर्ड का बदलाव भेजा जो इस बीच सर्वर पर बदल चुका था। फ़ील्ड की तुलना करें और एक संस्करण रखें; दोनों रिकॉर्ड के इतिहास में रहते हैं।
console-conflicts-none = कोई खुला टकराव नहीं।
console-conflict-by = { $author } ने { $time } पर भेजा · { $counsellor } के क्लाइंट
console-conflict-server = सर्वर पर
console-conflict-incoming = फ़ोन से
console-keep-server = सर्वर का संस्करण रखें
console-keep-incoming = फ़ोन का संस्करण रखें
console-done-created = खाता बन गया।
console-done-deactivated = खाता निष्क्रिय हो गया और उसके सत्र बंद हो गए।
console-done-reactivated = खाता फिर से सक्रिय हो गया।
console-done-password = पासवर्ड रीसेट हो गया और खाते के सत्र बंद हो गए।
console-done-moved = क्लाइंट स्थानांतरित हो गए।
console-done-saved = सेव हो गया।
console-done-uploaded = फ़ाइल सेव हो गई और अब हर सर्वर पर लागू है।
console-done-resolved = टकराव सुलझ गया।
error-refused = आपकी भूमिका ({ $role }) में { $action } की अनुमति नहीं है। कौन कर सकता है: { $who }। उनमें से किसी से कहें, या अपने शुरुआती पेज पर लौटें।
capability-open_hub_console = हब कंसोल खोलने
capability-manage_users = खाते बनाने, निष्क्रिय करने या रीसेट करने
capability-move_caseloads = क्लाइंट दूसरे परामर्शदाता को स्थानांतरित करने
capability-manage_hub_setup = इकाइयाँ और कार्यक्रम सेट करने
capability-manage_definitions = परिभाषा फ़ाइलें अपलोड करने
capability-manage_network_definitions = पूरे नेटवर्क की परिभाषा फ़ाइलें अपलोड करने
capability-read_audit = ऑडिट लॉग पढ़ने
capability-review_clinical = जोखिम अलर्ट और सिंक टकराव की समीक्षा करने
console-move-active = { $count ->
    [one] { $count } सक्रिय क्लाइंट स्थानांतरित होगा।
   *[other] { $count } सक्रिय क्लाइंट स्थानांतरित होंगे।
}
console-move-ended = { $count ->
    [one] { $count } क्लाइंट, जिनकी देखभाल पूरी हो चुकी है, रहेगा।
   *[other] { $count } क्लाइंट, जिनकी देखभाल पूरी हो चुकी है, रहेंगे।
}
console-password-hint = { $count ->
    [one] कम से कम { $count } अक्षर। रीसेट होने पर खाते के सत्र बंद हो जाते हैं।
   *[other] कम से कम { $count } अक्षर। रीसेट होने पर खाते के सत्र बंद हो जाते हैं।
}

## Record imports (issue 9): the import page, for the roles that write care records
nav-imports = रिकॉर्ड आयात करें
capability-write_care_records = देखभाल रिकॉर्ड लिखने या आयात करने
imports-title = रिकॉर्ड आयात करें
imports-intro = ODK Central, KoboToolbox, REDCap या DHIS2 Tracker से निर्यात किए गए रिकॉर्ड उन्हीं जाँचों, स्कोरिंग, जोखिम अलर्ट और ऑडिट से गुज़रते हैं जिनसे फ़ोन से भेजे गए रिकॉर्ड, और आपके नाम से लिखे जाते हैं। पहले परीक्षण चलाएँ: यह हर पंक्ति पढ़कर जाँचता है और कुछ नहीं लिखता।
imports-source = स्रोत
imports-source-odk = ODK Central या KoboToolbox (सबमिशन CSV, Central का zip या Kobo का XLSX)
imports-source-redcap = REDCap (फ़्लैट रिकॉर्ड निर्यात, CSV)
imports-source-dhis2-tracker = DHIS2 Tracker (JSON पेलोड)
imports-file = डेटा फ़ाइल
imports-file-hint = निर्यात वैसा ही जैसा स्रोत प्रणाली लिखती है, UTF-8 में, अधिकतम { $size }।
imports-file-zip = ODK Central का एक्सपोर्ट zip (सभी सबमिशन, जैसा डाउनलोड हुआ) वैसा ही चुना जा सकता है: हर दोहराए जाने वाले समूह की CSV उसी से पढ़ी जाती है, इसलिए “दोहराए जाने वाले समूह” खाली छोड़ें।
imports-file-xlsx = KoboToolbox का XLSX एक्सपोर्ट (“XML मान और हेडर”) भी चुना जा सकता है: हर दोहराए जाने वाले समूह को उसकी अपनी शीट से पढ़ा जाता है, इसलिए “दोहराए जाने वाले समूह” खाली छोड़ें।
imports-mapping = मैपिंग फ़ाइल (TOML)
imports-mapping-hint = बताती है कि कौन-सा कॉलम scaleup का कौन-सा फ़ील्ड बनता है (docs/interoperability.md, Imports)।
imports-repeats = दोहराए जाने वाले समूह (ODK Central, वैकल्पिक)
imports-repeats-hint = उसी Central एक्सपोर्ट से हर दोहराए जाने वाले समूह की CSV (फ़ॉर्म-समूह.csv), मैपिंग फ़ाइल के [[repeats]] के लिए। एक साथ कई चुन सकते हैं।
imports-programme = कार्यक्रम (केवल DHIS2 Tracker)
imports-programme-none = कोई नहीं (DHIS2 नहीं)
imports-dry-run = परीक्षण: जाँचें और गिनें, कुछ न लिखें
imports-do = अपलोड करें
imports-result-dry = { $file } का परीक्षण: कुछ नहीं लिखा गया
imports-result = { $file } आयात हुई
imports-rows = पढ़ी गई पंक्तियाँ
imports-rows-refused = अस्वीकृत पंक्तियाँ
imports-created = बनाए गए रिकॉर्ड
imports-updated = अद्यतन रिकॉर्ड
imports-unchanged = अपरिवर्तित रिकॉर्ड
imports-conflicts = समीक्षा के लिए सिंक टकराव के रूप में रखे गए
imports-rejected = अस्वीकृत रिकॉर्ड
imports-would-create = रिकॉर्ड जो बनाए जाएँगे
imports-would-replace = रिकॉर्ड जो पहले से हैं (अद्यतन होंगे या वैसे ही रहेंगे)
imports-problems = समस्याएँ (फ़ाइल, पंक्ति और कॉलम)
imports-problems-more = कुल समस्याएँ: { $count }। पहली { $shown } सूचीबद्ध हैं।
imports-none = कोई समस्या नहीं।
imports-dry-next = कुछ नहीं लिखा गया। आयात करने के लिए वही फ़ाइलें फिर चुनें, परीक्षण का निशान हटाएँ और अपलोड करें।
imports-source-required = फ़ाइल का स्रोत चुनें।
imports-file-required = डेटा फ़ाइल चुनें।
imports-mapping-required = मैपिंग फ़ाइल चुनें।
imports-mapping-too-large = मैपिंग फ़ाइल बहुत बड़ी है: अधिकतम 1 MiB।
imports-mapping-not-text = मैपिंग फ़ाइल UTF-8 पाठ नहीं है: इसे UTF-8 में सहेजकर फिर अपलोड करें।
imports-too-large = अपलोड बहुत बड़ा है: अधिकतम { $size }। बड़ी फ़ाइलें सर्वर पर scaleup import से आयात करें।
imports-busy = दूसरे आयात चल रहे हैं। एक मिनट रुकें, फिर फ़ाइलें दोबारा भेजें।
imports-too-slow = अपलोड पहुँचने में बहुत देर लगी। बेहतर कनेक्शन पर फिर कोशिश करें, या फ़ाइल को बाँट दें।
imports-unreadable = अपलोड पढ़ा नहीं जा सका: फ़ाइलें चुनकर फिर अपलोड करें।
imports-refused = यह आयात नहीं हुआ और कुछ नहीं लिखा गया
