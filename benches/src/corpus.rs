//! A deterministic, seeded generator of customer-service conversations, Chinese and English,
//! 20–60 turns and about 3.4 KB of text each, for benchmarks at any size.
//!
//! Conversations are stitched from templates of an after-sales, telecom or banking helpdesk: a
//! greeting, the customer's problem, questions and answers, now and then a rude or risky phrase,
//! a phone or card number, a traditional-Chinese or full-width passage, and a closing. Turns carry
//! start and end times. The same seed always gives the same corpus.

use qa_core::{Transcript, Turn};

/// A small, fast, seeded pseudo-random generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One item of a slice.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

struct Lang {
    greet: &'static [&'static str],
    problem: &'static [&'static str],
    customer: &'static [&'static str],
    agent: &'static [&'static str],
    rude: &'static [&'static str],
    angry: &'static [&'static str],
    risky: &'static [&'static str],
    closing: &'static [&'static str],
    items: &'static [&'static str],
    /// Joins filler clauses.
    sep: &'static str,
}

const ZH: Lang = Lang {
    greet: &[
        "您好，很高兴为您服务，请问有什么可以帮您？",
        "你好，我是客服小王，请问您遇到了什么问题？",
        "您好，欢迎咨询，工号1024为您服务，请问有什么需要？",
    ],
    problem: &[
        "我的订单三天了还没发货，到底怎么回事",
        "我买的{item}收到就坏了，屏幕一直亮红灯",
        "你们上个月多扣了我五十块钱话费，我要查一下",
        "我想退货，{item}尺码不合适，包装都没拆",
        "信用卡账单上有一笔不认识的消费，是不是被盗刷了",
        "宽带从昨天晚上开始就断网了，路由器报错",
    ],
    customer: &[
        "好的，那大概要等多久呢",
        "我已经等了很久了，能不能快一点",
        "订单号是{num}，你帮我查一下",
        "我的手机号是{phone}，有问题打这个电话",
        "这个{item}我是在你们官方旗舰店买的",
        "上次打电话说会有人联系我，结果一直没人联系",
        "那运费谁来出？我可不想自己出运费",
        "嗯嗯，明白了，还有别的办法吗",
        "能不能直接给我换一个新的{item}",
        "我现在就要一个明确的答复",
        "谢谢，那我等你们的消息",
        "我不太懂这些，你能说得简单一点吗",
    ],
    agent: &[
        "非常抱歉给您带来不便，我马上为您查询一下",
        "请您稍等，我这边帮您核实一下订单信息",
        "理解您的心情，这个问题我们一定会给您处理好",
        "麻烦您提供一下订单号或者下单时的手机号",
        "已经为您登记了，24小时内会有专员联系您",
        "您可以在APP里申请退货，运费由我们承担",
        "请问设备上显示的报警代码是多少呢？",
        "这边查到您的{item}已经在配送途中，预计明天送达",
        "为您申请了五十元的补偿券，请注意查收",
        "如果还有问题，可以随时联系我们的在线客服",
        "好的，已经为您升级处理，主管会亲自跟进",
        "请您先重启一下设备，看看故障是否还在",
        "温馨提示：理财产品有风险，投资需谨慎",
    ],
    rude: &[
        "这是规定，我也没办法",
        "你自己看说明书吧",
        "爱买不买，我们就这样",
        "听不懂吗？我都说了三遍了",
        "这个不归我管，你找别人去",
    ],
    angry: &[
        "气死了，什么破服务",
        "你们这是垃圾公司，我要投诉你们",
        "到底还要多久？我要找你们领导",
        "再不处理我就打12315曝光你们",
    ],
    risky: &[
        "这款产品保本保息，绝对不亏",
        "放心，零风险，稳赚不赔的",
        "这款理财不保本，请您仔细阅读说明",
        "您的卡号是{card}，已经为您冻结",
        "這是規定，請您理解，我們無法處理",
        "ＯＫ，已經為您處理完畢，請查收",
    ],
    closing: &[
        "请问还有什么可以帮您的吗？",
        "感谢您的耐心等待，祝您生活愉快！",
        "好的，那先这样，再见",
        "感谢您的来电，稍后请对本次服务进行评价",
    ],
    items: &[
        "洗衣机",
        "空调",
        "手机",
        "耳机",
        "电饭煲",
        "扫地机器人",
        "羽绒服",
        "路由器",
        "显示器",
    ],
    sep: "，",
};

const EN: Lang = Lang {
    greet: &[
        "Hello, thank you for contacting support. How can I help you today?",
        "Hi, this is Sam from customer care. What can I do for you?",
    ],
    problem: &[
        "My order has not shipped after three days, what is going on",
        "The {item} I bought arrived broken and the light keeps blinking red",
        "You charged me twice on my last bill and I want a refund",
        "I want to return the {item}, it does not fit and the box is unopened",
    ],
    customer: &[
        "Okay, how long will that take",
        "I have been waiting for ages, can you hurry up please",
        "The order number is {num}, please check it",
        "My phone number is {phone} if you need to call me back",
        "I bought this {item} from your official store",
        "Last time someone promised to call me back and nobody did",
        "Who pays for the return shipping? I am not paying for it",
        "Can you just send me a new {item} instead",
        "Thanks, I will wait for your email then",
    ],
    agent: &[
        "I am sorry for the inconvenience, let me look into it right away",
        "Please hold on while I check your order details",
        "I understand how frustrating this is and we will sort it out",
        "Could you give me the order number or the phone number on the account",
        "I have logged a ticket and a specialist will contact you within 24 hours",
        "You can request a return in the app and we cover the shipping",
        "What error code does the device show on its screen?",
        "Your {item} is out for delivery and should arrive tomorrow",
        "I have escalated this to my supervisor who will follow up",
    ],
    rude: &[
        "That is the policy, read it yourself",
        "I don't care, take it or leave it",
        "Not my problem, ask someone else",
    ],
    angry: &[
        "This is ridiculous, worst service ever",
        "I am going to file a complaint and post this online",
    ],
    risky: &[
        "This plan is guaranteed returns with zero risk",
        "Your card number is {card}, I have blocked it",
        "We cannot guarantee returns, please read the prospectus",
    ],
    closing: &[
        "Is there anything else I can help you with?",
        "Thank you for your patience, have a nice day!",
        "Thanks for calling, goodbye",
    ],
    items: &[
        "washing machine",
        "phone",
        "headset",
        "router",
        "jacket",
        "monitor",
        "vacuum",
    ],
    sep: ", ",
};

fn fill(rng: &mut Rng, lang: &Lang, template: &str) -> String {
    let mut s = template.to_string();
    if s.contains("{item}") {
        s = s.replace("{item}", rng.pick(lang.items));
    }
    if s.contains("{num}") {
        s = s.replace(
            "{num}",
            &format!("{:012}", rng.next_u64() % 1_000_000_000_000),
        );
    }
    if s.contains("{phone}") {
        s = s.replace(
            "{phone}",
            &format!("13{:09}", rng.next_u64() % 1_000_000_000),
        );
    }
    if s.contains("{card}") {
        s = s.replace(
            "{card}",
            &format!("6222{:012}", rng.next_u64() % 1_000_000_000_000),
        );
    }
    s
}

/// Bytes of text a generated conversation aims at, on average.
pub const TARGET_BYTES: usize = 3400;

/// One conversation: `index` selects it within the corpus of `seed`.
pub fn conversation(seed: u64, index: usize) -> Transcript {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
    let english = rng.chance(0.3);
    let lang = if english { &EN } else { &ZH };
    let n = rng.range(20, 60);
    // bytes per turn so that the conversation is ~3.4 KB whatever its turn count
    let per_turn = TARGET_BYTES / n;
    let mut turns = Vec::with_capacity(n);
    let mut t = 0.0f64;
    for i in 0..n {
        let agent = if i == 0 { false } else { i % 2 == 1 };
        let mut text = if i == 0 {
            let tpl = rng.pick(lang.problem);
            fill(&mut rng, lang, tpl)
        } else if i == 1 {
            lang.greet[rng.below(lang.greet.len())].to_string()
        } else if i + 1 == n && agent {
            lang.closing[rng.below(lang.closing.len())].to_string()
        } else {
            let pool = if agent {
                if rng.chance(0.04) {
                    lang.rude
                } else if rng.chance(0.04) {
                    lang.risky
                } else {
                    lang.agent
                }
            } else if rng.chance(0.06) {
                lang.angry
            } else if rng.chance(0.1) {
                lang.problem
            } else {
                lang.customer
            };
            let tpl = rng.pick(pool);
            fill(&mut rng, lang, tpl)
        };
        // pad with more clauses of the same speaker until the turn is about `per_turn` bytes
        while text.len() + 20 < per_turn {
            let pool = if agent { lang.agent } else { lang.customer };
            let tpl = rng.pick(pool);
            let more = fill(&mut rng, lang, tpl);
            if text.len() + more.len() > per_turn + per_turn / 3 {
                break;
            }
            text.push_str(lang.sep);
            text.push_str(&more);
        }
        let speaker = if agent { "agent" } else { "customer" };
        let gap = if agent && i == 1 {
            rng.range(2, 40) as f64
        } else {
            rng.range(1, 12) as f64
        };
        let start = t + gap;
        let end = start + (text.chars().count() as f64 / 5.0).max(1.0);
        t = end;
        turns.push(Turn {
            speaker: speaker.to_string(),
            text,
            start: Some(start),
            end: Some(end),
        });
    }
    Transcript {
        id: Some(format!("gen-{seed}-{index}")),
        agent: Some(format!("A{:03}", rng.below(40))),
        channel: Some(if rng.chance(0.5) { "chat" } else { "call" }.to_string()),
        meta: None,
        turns,
    }
}

/// `count` conversations of the corpus of `seed`.
pub fn generate(seed: u64, count: usize) -> Vec<Transcript> {
    (0..count).map(|i| conversation(seed, i)).collect()
}

/// Total bytes of turn text of a set of transcripts.
pub fn text_bytes(corpus: &[Transcript]) -> usize {
    corpus
        .iter()
        .flat_map(|t| &t.turns)
        .map(|t| t.text.len())
        .sum()
}

/// The real dialogues of `dir` (`*.jsonl`, e.g. `../shared/corpus`), or none when the folder is
/// absent. Lines that are not valid transcripts are skipped.
pub fn load_dir(dir: &std::path::Path) -> Vec<Transcript> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        out.extend(text.lines().filter_map(|l| Transcript::from_json(l).ok()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let a = generate(7, 200);
        assert_eq!(a, generate(7, 200));
        for t in &a {
            assert!((20..=60).contains(&t.turns.len()));
        }
        let mean = text_bytes(&a) / a.len();
        assert!((3000..=3800).contains(&mean), "mean {mean} bytes");
    }

    #[test]
    fn missing_dir_is_empty() {
        assert!(load_dir(std::path::Path::new("/nonexistent/corpus")).is_empty());
    }
}
