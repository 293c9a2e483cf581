//! Synthetic identities: common given and family names combined at random, so no entry is a
//! real person, and telephone numbers in a range no network assigns (`+000 555 …`).

use crate::params::HubKind;

pub(crate) struct NameLists {
    pub female: &'static [&'static str],
    pub male: &'static [&'static str],
    pub family: &'static [&'static str],
}

pub(crate) fn lists(kind: HubKind) -> NameLists {
    match kind {
        HubKind::IndiaHap => NameLists {
            female: &[
                "Anita", "Sunita", "Priya", "Lata", "Meena", "Rekha", "Asha", "Kavita", "Pooja",
                "Shobha", "Rina", "Savita",
            ],
            male: &[
                "Ravi", "Suresh", "Anil", "Vijay", "Sanjay", "Prakash", "Rahul", "Mahesh", "Ajay",
                "Deepak", "Ramesh", "Naresh",
            ],
            family: &[
                "Naik",
                "Gaonkar",
                "Desai",
                "Kamat",
                "Shetty",
                "Pai",
                "Fernandes",
                "Sawant",
                "Parab",
                "Kerkar",
                "Dias",
                "Gawas",
            ],
        },
        HubKind::ZimbabweFriendshipBench => NameLists {
            female: &[
                "Rudo", "Chipo", "Tendai", "Nyasha", "Fadzai", "Tsitsi", "Rutendo", "Vimbai",
                "Chiedza", "Tariro", "Shamiso", "Ruvimbo",
            ],
            male: &[
                "Tinashe",
                "Farai",
                "Tatenda",
                "Kudzai",
                "Tafadzwa",
                "Blessing",
                "Simba",
                "Takudzwa",
                "Munyaradzi",
                "Tapiwa",
                "Kuda",
                "Panashe",
            ],
            family: &[
                "Moyo",
                "Ncube",
                "Sibanda",
                "Dube",
                "Chikwanha",
                "Mutasa",
                "Marufu",
                "Chirwa",
                "Gumbo",
                "Mhlanga",
                "Shumba",
                "Zvobgo",
            ],
        },
        HubKind::KenyaPmPlus => NameLists {
            female: &[
                "Wanjiru", "Achieng", "Njeri", "Akinyi", "Wambui", "Atieno", "Mumbua", "Nafula",
                "Chebet", "Kerubo", "Moraa", "Wairimu",
            ],
            male: &[
                "Otieno", "Kamau", "Mwangi", "Ochieng", "Kiprono", "Mutua", "Wafula", "Omondi",
                "Kibet", "Njoroge", "Onyango", "Barasa",
            ],
            family: &[
                "Odhiambo",
                "Kariuki",
                "Wekesa",
                "Mutiso",
                "Chepkoech",
                "Nyambura",
                "Owino",
                "Maina",
                "Kiplagat",
                "Ouma",
                "Muthoni",
                "Wanyama",
            ],
        },
    }
}

/// A telephone number in the reserved-looking `+000 555` range, unique per client index.
pub(crate) fn fake_phone(client_index: u64) -> String {
    format!("+000 555 {:07}", client_index % 10_000_000)
}
