"""A realistic bank demo dataset, loaded through the domain services (``hrgate seed-demo``).

The content below is plain data: three competency models (teller, customer manager,
risk analyst) with bilingual questions and rubrics, the KPIs each dimension should
predict, four requisitions (one closed), thirteen candidates whose applications are
spread over every hiring stage, four hires, and their KPI actuals for past periods.

Everything is written by the same services the GraphQL mutations use, so the demo
obeys the product's rules (weights sum to 1, pinned versions freeze, only legal stage
moves, KPI periods in the past). The load is one unit of work: all or nothing. It is
idempotent: when the ``teller`` competency model exists, nothing is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import read_session, unit_of_work
from gateway.models import CompetencyModel, Dimension
from gateway.models.enums import (
    ApplicationStage,
    BackgroundCheckStatus,
    BusinessLine,
    ConsentKind,
    KpiDirection,
    PeriodKind,
)
from resolvers.errors import DomainError
from resolvers.services.audit import Actor
from resolvers.services.candidates import apply, create_candidate, move_stage
from resolvers.services.competency import create_competency_model
from resolvers.services.hiring import hire
from resolvers.services.invitations import invite_to_interview
from resolvers.services.kpi import create_kpi_definition, link_dimension_to_kpi, record_kpi_actual
from resolvers.services.requisitions import close_requisition, create_requisition

logger = logging.getLogger(__name__)

SEED_ACTOR = Actor("seed-demo", "system")
MARKER_MODEL_KEY = "teller"
"""The demo counts as loaded when a competency model with this key exists."""
NOTICE_VERSION = "2026-01"
INVITATION_TTL_HOURS = 72


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class QuestionSpec:
    prompt_zh: str
    prompt_en: str
    time_limit_seconds: int
    rubric_keywords: tuple[str, ...]
    excellent_answers: tuple[str, ...]
    """One model answer in Chinese, one in English."""


@dataclass(frozen=True)
class DimensionSpec:
    key: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    weight: float
    questions: tuple[QuestionSpec, ...]
    predicts: tuple[str, ...]
    """Keys of the KPIs this dimension should predict (``link_dimension_to_kpi``)."""


@dataclass(frozen=True)
class CompetencyModelSpec:
    key: str
    name_zh: str
    name_en: str
    description: str
    notes: str
    dimensions: tuple[DimensionSpec, ...]


@dataclass(frozen=True)
class KpiSpec:
    key: str
    name_zh: str
    name_en: str
    unit: str
    direction: KpiDirection
    period_kind: PeriodKind


@dataclass(frozen=True)
class RequisitionSpec:
    key: str
    title: str
    department: str
    business_line: BusinessLine
    headcount: int
    model: str
    """Key of the competency model whose version 1 the requisition pins."""
    close_reason: str | None = None
    """Set for a requisition that the demo closes once its applications are in place."""


@dataclass(frozen=True)
class KpiActualSpec:
    kpi: str
    period: str
    target: float
    actual: float


@dataclass(frozen=True)
class HireSpec:
    employee_number: str
    start_date: date
    background_check_completed_at: datetime
    kpi_actuals: tuple[KpiActualSpec, ...]


@dataclass(frozen=True)
class ApplicationSpec:
    requisition: str
    stage: ApplicationStage
    """Where the application ends up. ``hired`` needs ``hire``; rejected/withdrawn need ``left_at``."""
    left_at: ApplicationStage | None = None
    """For rejected or withdrawn applications: the stage they were in when they left."""
    reason: str = ""
    hire: HireSpec | None = None


@dataclass(frozen=True)
class CandidateSpec:
    full_name: str
    email: str
    phone: str
    resume_text: str
    applications: tuple[ApplicationSpec, ...]
    biometric_consent: bool = True
    """Data-processing and AI-processing consent are always granted in the demo."""


# --------------------------------------------------------------------------- competency models

TELLER = CompetencyModelSpec(
    key="teller",
    name_zh="柜员",
    name_en="Teller",
    description=(
        "营业网点柜面岗位:现金与账务处理准确、服务规范、严守操作风险底线。"
        " / Branch counter role: accurate cash and ledger handling, courteous service, strict operational-risk discipline."
    ),
    notes="岗位能力模型:数字敏感度40%、服务意识30%、风险意识30%。 / Numeracy 40%, service 30%, risk awareness 30%.",
    dimensions=(
        DimensionSpec(
            key="numeracy",
            name_zh="数字敏感度",
            name_en="Numeracy",
            description_zh="快速、准确地处理金额、利率与账务数据,能及时发现数字异常。",
            description_en="Handles amounts, interest rates and ledger figures quickly and accurately; spots numeric anomalies early.",
            weight=0.4,
            predicts=("teller_error_rate", "teller_transactions_per_day"),
            questions=(
                QuestionSpec(
                    prompt_zh="日终轧账时,你发现现金尾箱比系统余额少了200元。请描述你会按什么步骤查找原因。",
                    prompt_en=(
                        "At end-of-day balancing your cash drawer is CNY 200 short of the system balance. "
                        "Walk us through the steps you would take to find the cause."
                    ),
                    time_limit_seconds=120,
                    rubric_keywords=(
                        "核对",
                        "复点",
                        "流水",
                        "凭证",
                        "上报",
                        "verify",
                        "recount",
                        "transaction log",
                        "voucher",
                        "report",
                    ),
                    excellent_answers=(
                        "我会先保持现场不动,按券别重新复点尾箱现金;然后逐笔核对当日交易流水和凭证,重点检查大额现金存取和找零环节;"
                        "如果仍未找到差错,调阅监控核对可疑交易,并第一时间按规定向营业主管上报,绝不自行垫付或私自调账。",
                        "First I leave everything as it is and recount the drawer by denomination. Then I verify every entry in "
                        "today's transaction log against its voucher, starting with large cash deposits, withdrawals and change "
                        "given. If the gap remains, I review the CCTV for the suspicious transactions and report to the branch "
                        "supervisor at once, as the procedure requires; I never cover the shortfall or adjust the books myself.",
                    ),
                ),
                QuestionSpec(
                    prompt_zh="客户办理一笔三年期定期存款,金额15万元,年利率2.35%。请估算到期利息,并说明你如何向客户确认。",
                    prompt_en=(
                        "A customer deposits CNY 150,000 for three years at 2.35% a year. Estimate the interest at "
                        "maturity and explain how you would confirm it with the customer."
                    ),
                    time_limit_seconds=90,
                    rubric_keywords=(
                        "10575",
                        "单利",
                        "复核",
                        "系统试算",
                        "提前支取",
                        "simple interest",
                        "double-check",
                        "interest calculator",
                        "early withdrawal",
                    ),
                    excellent_answers=(
                        "按单利计算:15万×2.35%×3=10,575元。我会先告知客户约1.06万元,再用系统利息试算功能复核,"
                        "并把到期日、执行利率以及提前支取按活期利率计息的规则一并向客户确认。",
                        "Simple interest: 150,000 × 2.35% × 3 = CNY 10,575. I would quote about 10.6 thousand, double-check "
                        "it with the system's interest calculator, and confirm the maturity date, the rate, and that early "
                        "withdrawal only earns the demand-deposit rate.",
                    ),
                ),
            ),
        ),
        DimensionSpec(
            key="service",
            name_zh="服务意识",
            name_en="Service orientation",
            description_zh="主动、耐心、有同理心地服务客户,能化解情绪、规范解释业务流程。",
            description_en="Serves customers proactively, patiently and with empathy; calms emotions and explains procedures clearly.",
            weight=0.3,
            predicts=("customer_satisfaction",),
            questions=(
                QuestionSpec(
                    prompt_zh="一位老年客户排了很久的队,轮到他时情绪激动,抱怨手续太繁琐。你会怎么处理?",
                    prompt_en=(
                        "An elderly customer has waited in line for a long time and is upset when his turn comes, "
                        "complaining that the paperwork is far too complicated. How would you handle it?"
                    ),
                    time_limit_seconds=120,
                    rubric_keywords=(
                        "倾听",
                        "致歉",
                        "安抚",
                        "耐心",
                        "解释",
                        "listen",
                        "apologise",
                        "empathy",
                        "patience",
                        "explain",
                    ),
                    excellent_answers=(
                        "我会先起身致歉,请他坐下、递上一杯温水,耐心倾听他的不满;然后用通俗的话解释每一步手续是为了保护他的资金安全,"
                        "能帮他填写的部分当场代为准备,办完后告诉他下次可以预约或走爱心窗口,减少排队时间。",
                        "I would apologise first, offer him a seat and a glass of water, and listen to what upset him. Then I "
                        "would explain in plain words that each step protects his money, prepare whatever forms I can for him "
                        "on the spot, and afterwards show him how to book an appointment or use the priority counter next time.",
                    ),
                ),
            ),
        ),
        DimensionSpec(
            key="risk_awareness",
            name_zh="风险意识",
            name_en="Risk awareness",
            description_zh="严格执行操作规程与反洗钱要求,识别诈骗与可疑交易,坚守合规底线。",
            description_en="Follows operating procedures and AML rules strictly, recognises fraud and suspicious transactions, holds the compliance line.",
            weight=0.3,
            predicts=("teller_error_rate",),
            questions=(
                QuestionSpec(
                    prompt_zh="一位客户要求把一笔刚到账的大额资金立即分成多笔现金取出,且不愿说明用途。你会怎么做?",
                    prompt_en=(
                        "A customer wants a large sum that has just arrived withdrawn at once as several separate cash "
                        "withdrawals, and will not say what it is for. What do you do?"
                    ),
                    time_limit_seconds=120,
                    rubric_keywords=(
                        "反洗钱",
                        "可疑交易",
                        "身份核实",
                        "上报",
                        "拆分",
                        "anti-money laundering",
                        "suspicious transaction",
                        "verify identity",
                        "escalate",
                        "structuring",
                    ),
                    excellent_answers=(
                        "这符合拆分交易的可疑特征。我会礼貌地核实客户身份并询问资金来源和用途,按大额现金管理规定办理;"
                        "客户拒绝说明时,暂缓办理并报告营业主管,按反洗钱要求登记可疑交易,同时留意是否为电信诈骗受害人。",
                        "This looks like structuring. I would politely verify the customer's identity, ask about the source "
                        "and purpose of the funds, and apply the large-cash rules. If he refuses to explain, I would pause "
                        "the transaction, escalate to the supervisor, file a suspicious-transaction report under our AML "
                        "procedure, and check whether he might himself be the victim of a phone scam.",
                    ),
                ),
                QuestionSpec(
                    prompt_zh="有人打电话自称是你的主管,让你先帮一位“熟客”免签办理转账,事后再补手续。你如何回应?",
                    prompt_en=(
                        "Someone phones claiming to be your supervisor and asks you to process a transfer for a 'regular "
                        "customer' without a signature, promising the paperwork later. How do you respond?"
                    ),
                    time_limit_seconds=90,
                    rubric_keywords=(
                        "双人复核",
                        "授权",
                        "制度",
                        "拒绝",
                        "核实",
                        "dual control",
                        "authorisation",
                        "policy",
                        "decline",
                        "verify",
                    ),
                    excellent_answers=(
                        "我会礼貌但明确地拒绝:任何转账都必须客户本人签字并经系统授权,电话指令不能替代。"
                        "挂断后我会通过内部渠道回拨核实来电者身份,并把情况报告给营业主管,防范内外勾结和冒名诈骗。",
                        "I would decline politely but firmly: every transfer needs the customer's own signature and system "
                        "authorisation, and a phone call cannot replace either. Afterwards I would call the supervisor back "
                        "through the internal directory to verify, and report the call, since it fits the pattern of "
                        "impersonation fraud.",
                    ),
                ),
            ),
        ),
    ),
)

CUSTOMER_MANAGER = CompetencyModelSpec(
    key="customer_manager",
    name_zh="客户经理",
    name_en="Customer Manager",
    description=(
        "对公/零售客户经理:挖掘客户需求、促成业务合作、在考核压力下保持稳定产出。"
        " / Relationship manager: uncovers client needs, closes business, and delivers steadily under target pressure."
    ),
    notes=(
        "维度与绩效联动:客户需求挖掘能力→客户新增数量,沟通说服力→贷款发放额,抗压能力→季度指标完成。"
        " / Linked KPIs: needs discovery → new customers, persuasion → loan volume, resilience → quarterly targets."
    ),
    dimensions=(
        DimensionSpec(
            key="needs_discovery",
            name_zh="客户需求挖掘能力",
            name_en="Needs discovery",
            description_zh="通过提问和经营分析发现客户潜在的融资、结算与理财需求。",
            description_en="Finds a client's latent financing, settlement and investment needs through questioning and business analysis.",
            weight=0.4,
            predicts=("new_customers", "customer_satisfaction"),
            questions=(
                QuestionSpec(
                    prompt_zh="一家年营业额约8000万元的制造业民营企业,目前只在我行办理代发工资。你会如何挖掘它的其他金融需求?",
                    prompt_en=(
                        "A private manufacturer with about CNY 80 million in annual revenue only uses us for payroll. "
                        "How would you uncover its other financial needs?"
                    ),
                    time_limit_seconds=180,
                    rubric_keywords=(
                        "上下游",
                        "现金流",
                        "开放式提问",
                        "经营周期",
                        "综合金融服务",
                        "supply chain",
                        "cash flow",
                        "open questions",
                        "business cycle",
                        "cross-sell",
                    ),
                    excellent_answers=(
                        "我会先研究企业的代发数据、行业和上下游结构,再约老板实地走访,用开放式问题了解订单周期、回款账期和扩产计划。"
                        "针对回款慢可以推荐应收账款融资,针对原材料采购推荐票据和供应链融资,老板个人资产可以引入私行理财,形成综合金融服务方案。",
                        "I would study the payroll data, the industry and the company's suppliers and buyers, then visit the "
                        "owner and ask open questions about order cycles, payment terms and expansion plans. Slow receivables "
                        "point to invoice financing, raw-material purchases to bills and supply-chain finance, and the owner's "
                        "own wealth to private banking, so I can propose one integrated package.",
                    ),
                ),
            ),
        ),
        DimensionSpec(
            key="persuasion",
            name_zh="沟通说服力",
            name_en="Persuasion",
            description_zh="清晰表达方案价值,处理异议,推动客户做出合作决定。",
            description_en="Explains the value of a proposal clearly, handles objections, and moves the client to a decision.",
            weight=0.35,
            predicts=("loan_volume",),
            questions=(
                QuestionSpec(
                    prompt_zh="客户认为我行贷款利率比另一家银行高0.3个百分点,准备把业务转走。你如何说服他留下?",
                    prompt_en=(
                        "A client says our loan rate is 0.3 percentage points above another bank's and plans to move his "
                        "business. How would you persuade him to stay?"
                    ),
                    time_limit_seconds=150,
                    rubric_keywords=(
                        "综合成本",
                        "审批效率",
                        "增值服务",
                        "长期合作",
                        "价值",
                        "total cost",
                        "approval speed",
                        "value-added services",
                        "long-term relationship",
                        "value",
                    ),
                    excellent_answers=(
                        "我会先认可他对成本的关注,再一起算综合融资成本:我行审批快、可循环使用、免收账户管理费,实际成本差距很小;"
                        "同时说明我们多年合作积累的授信额度和结算、汇率避险等增值服务。最后在权限内争取利率优惠或搭配结算回报,给出有诚意的方案。",
                        "I would acknowledge that cost matters and then work out the total cost of funding with him: our faster "
                        "approval, revolving facility and waived account fees narrow the gap to almost nothing. I would remind "
                        "him of the credit line built over years and our value-added services such as FX hedging, and, within "
                        "my authority, offer a rate concession tied to his settlement volume.",
                    ),
                ),
            ),
        ),
        DimensionSpec(
            key="resilience",
            name_zh="抗压能力",
            name_en="Resilience",
            description_zh="在业绩考核、客户拒绝和投诉压力下保持情绪稳定,合理安排优先级并持续行动。",
            description_en="Stays composed under targets, rejection and complaints; prioritises sensibly and keeps going.",
            weight=0.25,
            predicts=("loan_volume", "new_customers"),
            questions=(
                QuestionSpec(
                    prompt_zh="距离季度末还有两周,你的贷款投放指标只完成了60%,同时一位重要客户刚投诉到分行。你会如何安排?",
                    prompt_en=(
                        "Two weeks before quarter-end you have met only 60% of your loan target, and an important client "
                        "has just complained to the branch. How do you plan your time?"
                    ),
                    time_limit_seconds=150,
                    rubric_keywords=(
                        "优先级",
                        "分解目标",
                        "情绪管理",
                        "复盘",
                        "寻求支持",
                        "prioritise",
                        "break down the target",
                        "stay calm",
                        "review",
                        "ask for support",
                    ),
                    excellent_answers=(
                        "我会先当天回应投诉客户,上门道歉并解决问题,因为重要客户的信任比一笔业务更关键;然后把剩余40%的指标分解到在审项目,"
                        "优先推动材料齐全、审批可控的项目,每天复盘进度,必要时请产品经理和审批部门协同,保持节奏而不是焦虑。",
                        "I would answer the complaint the same day, visit the client and fix the problem, because his trust "
                        "matters more than any single deal. Then I would break the remaining 40% into the loans already in the "
                        "pipeline, push those with complete files first, review progress every evening, and ask product and "
                        "credit colleagues for support where needed: steady pace rather than panic.",
                    ),
                ),
                QuestionSpec(
                    prompt_zh="请讲一次你被客户多次拒绝后,最终仍然达成合作的经历。",
                    prompt_en="Tell us about a time a client turned you down several times and you still won the business in the end.",
                    time_limit_seconds=180,
                    rubric_keywords=(
                        "坚持",
                        "调整策略",
                        "复盘",
                        "信任",
                        "persistence",
                        "adjust approach",
                        "reflection",
                        "trust",
                    ),
                    excellent_answers=(
                        "去年一家物流公司财务总监三次拒绝了我的现金管理方案。我复盘后发现他最在意的是多地账户归集的时效,"
                        "于是请技术团队做了针对性的演示,并先从一个分公司试点。试点两个月后他主动把全部结算账户迁到我行。",
                        "Last year a logistics company's CFO rejected my cash-management proposal three times. Reviewing it, I "
                        "realised his real concern was how fast funds from many regional accounts could be pooled, so I had our "
                        "tech team build a demo for exactly that and proposed a pilot with one subsidiary. Two months later he "
                        "moved all of the group's settlement accounts to us.",
                    ),
                ),
            ),
        ),
    ),
)

RISK_ANALYST = CompetencyModelSpec(
    key="risk_analyst",
    name_zh="风险分析师",
    name_en="Risk Analyst",
    description=(
        "信用风险分析岗位:企业与零售授信分析、风险模型监测、审慎合规判断。"
        " / Credit risk role: corporate and retail credit analysis, risk-model monitoring, prudent compliance judgement."
    ),
    notes="信贷分析40%、数据分析30%、合规判断30%。 / Credit analysis 40%, data skills 30%, compliance judgement 30%.",
    dimensions=(
        DimensionSpec(
            key="credit_analysis",
            name_zh="信贷分析能力",
            name_en="Credit analysis",
            description_zh="读懂财务报表与现金流,识别第一还款来源的风险并提出缓释措施。",
            description_en="Reads financial statements and cash flows, identifies risks to the primary repayment source, and proposes mitigants.",
            weight=0.4,
            predicts=("risk_model_accuracy",),
            questions=(
                QuestionSpec(
                    prompt_zh=(
                        "一家商贸企业申请1000万元流动资金贷款。近两年营收每年增长30%,但经营性现金流为负,"
                        "应收账款周转天数从60天上升到120天。你如何评估?"
                    ),
                    prompt_en=(
                        "A trading company applies for a CNY 10 million working-capital loan. Revenue has grown 30% a year "
                        "for two years, but operating cash flow is negative and receivable days have risen from 60 to 120. "
                        "How do you assess the application?"
                    ),
                    time_limit_seconds=180,
                    rubric_keywords=(
                        "现金流",
                        "应收账款",
                        "还款来源",
                        "担保",
                        "压力测试",
                        "cash flow",
                        "receivables",
                        "repayment source",
                        "collateral",
                        "stress test",
                    ),
                    excellent_answers=(
                        "收入增长但现金流为负、应收天数翻倍,说明增长靠放宽赊销换来,第一还款来源存疑。我会核查前十大应收账款的账龄和客户资质,"
                        "对回款延迟做压力测试,要求应收账款质押或有效担保,并考虑降低额度、缩短期限、设置回款账户监管。",
                        "Growing revenue with negative cash flow and doubled receivable days suggests growth bought with looser "
                        "credit terms, so the primary repayment source is doubtful. I would check the ageing and quality of the "
                        "top ten receivables, stress-test slower collections, require a pledge of receivables or solid "
                        "collateral, and consider a smaller, shorter facility with a monitored collection account.",
                    ),
                ),
            ),
        ),
        DimensionSpec(
            key="data_skills",
            name_zh="数据分析能力",
            name_en="Data skills",
            description_zh="运用统计与建模方法监测风险模型表现,定位偏差原因。",
            description_en="Uses statistics and modelling to monitor risk-model performance and trace the causes of deviations.",
            weight=0.3,
            predicts=("risk_model_accuracy", "risk_alert_backlog"),
            questions=(
                QuestionSpec(
                    prompt_zh="信用卡评分卡模型上线一年后,实际坏账率明显高于模型预测。你会从哪些方面排查?",
                    prompt_en=(
                        "A year after a credit-card scorecard went live, actual bad-debt rates are clearly above its "
                        "predictions. Where would you look?"
                    ),
                    time_limit_seconds=180,
                    rubric_keywords=(
                        "群体稳定性",
                        "PSI",
                        "样本偏差",
                        "回测",
                        "变量漂移",
                        "population stability",
                        "sample bias",
                        "backtesting",
                        "drift",
                        "KS",
                    ),
                    excellent_answers=(
                        "我会先计算PSI看客群是否发生迁移,再逐个变量检查分布漂移;用最新表现期数据回测KS和分箱坏账率,"
                        "确认是整体失准还是某些客群失准;同时排查开发样本是否存在拒绝推断不足等样本偏差,以及营销渠道和审批政策是否变化。",
                        "I would compute the PSI to see whether the applicant population has shifted, then check each "
                        "variable for drift. Backtesting KS and bad rates by score band on the latest performance window shows "
                        "whether the whole model or only some segments are off. I would also look for sample bias in the "
                        "development data, such as weak reject inference, and for changes in channels or approval policy.",
                    ),
                ),
            ),
        ),
        DimensionSpec(
            key="compliance_judgement",
            name_zh="合规判断",
            name_en="Compliance judgement",
            description_zh="在业务压力下坚持授信政策与监管要求,保持风险审查的独立性。",
            description_en="Upholds credit policy and regulation under business pressure and keeps the risk review independent.",
            weight=0.3,
            predicts=("risk_alert_backlog",),
            questions=(
                QuestionSpec(
                    prompt_zh="业务部门希望季末前放款,要求你在抵押物评估报告尚未出具时先签署同意意见。你怎么处理?",
                    prompt_en=(
                        "The business unit wants to disburse before quarter-end and asks you to sign off before the "
                        "collateral valuation report has been issued. What do you do?"
                    ),
                    time_limit_seconds=120,
                    rubric_keywords=(
                        "审慎",
                        "授信政策",
                        "独立性",
                        "书面",
                        "上报",
                        "prudence",
                        "credit policy",
                        "independence",
                        "in writing",
                        "escalate",
                    ),
                    excellent_answers=(
                        "我不会在评估报告出具前签署同意意见,这违反授信政策,也会削弱风险审查的独立性。我会书面说明缺少的材料,"
                        "协助业务部门催办评估机构,必要时向风险条线负责人上报,由有权审批人按流程决定是否加急。",
                        "I would not sign before the valuation report exists: it breaks credit policy and undermines the "
                        "independence of the risk review. I would list the missing document in writing, help the business "
                        "unit chase the valuer, and if needed escalate to the head of risk so that the authorised approver "
                        "decides on any fast-tracking through the proper process.",
                    ),
                ),
            ),
        ),
    ),
)

COMPETENCY_MODELS: tuple[CompetencyModelSpec, ...] = (TELLER, CUSTOMER_MANAGER, RISK_ANALYST)


# --------------------------------------------------------------------------- KPIs

KPIS: tuple[KpiSpec, ...] = (
    KpiSpec("teller_error_rate", "差错率", "Teller error rate", "%", KpiDirection.LOWER_IS_BETTER, PeriodKind.MONTH),
    KpiSpec(
        "teller_transactions_per_day",
        "日均业务笔数",
        "Transactions per day",
        "transactions/day",
        KpiDirection.HIGHER_IS_BETTER,
        PeriodKind.MONTH,
    ),
    KpiSpec(
        "customer_satisfaction",
        "客户满意度评分",
        "Customer satisfaction score",
        "points (0-100)",
        KpiDirection.HIGHER_IS_BETTER,
        PeriodKind.QUARTER,
    ),
    KpiSpec(
        "new_customers", "客户新增数量", "New customers", "customers", KpiDirection.HIGHER_IS_BETTER, PeriodKind.QUARTER
    ),
    KpiSpec("loan_volume", "贷款发放额", "Loan volume", "CNY 10k", KpiDirection.HIGHER_IS_BETTER, PeriodKind.QUARTER),
    KpiSpec(
        "risk_model_accuracy",
        "风险模型预测准确率",
        "Risk model accuracy",
        "%",
        KpiDirection.HIGHER_IS_BETTER,
        PeriodKind.QUARTER,
    ),
    KpiSpec(
        "risk_alert_backlog",
        "风险预警积压笔数",
        "Risk alert backlog",
        "alerts",
        KpiDirection.LOWER_IS_BETTER,
        PeriodKind.MONTH,
    ),
)


# --------------------------------------------------------------------------- requisitions

REQUISITIONS: tuple[RequisitionSpec, ...] = (
    RequisitionSpec(
        "branch_teller", "营业部柜员 / Branch Teller", "零售银行部 / Retail Banking", BusinessLine.RETAIL, 5, "teller"
    ),
    RequisitionSpec(
        "corporate_customer_manager",
        "对公客户经理 / Corporate Customer Manager",
        "公司银行部 / Corporate Banking",
        BusinessLine.CORPORATE,
        3,
        "customer_manager",
    ),
    RequisitionSpec(
        "credit_risk_analyst",
        "信用风险分析师 / Credit Risk Analyst",
        "风险管理部 / Risk Management",
        BusinessLine.RISK,
        2,
        "risk_analyst",
    ),
    RequisitionSpec(
        "campus_teller_2026",
        "2026年春季校园招聘柜员 / 2026 Spring Campus Teller",
        "零售银行部 / Retail Banking",
        BusinessLine.RETAIL,
        2,
        "teller",
        close_reason="春季校招结束,剩余名额并入营业部柜员社会招聘。 / Spring campus season over; the remaining seat moved to the Branch Teller requisition.",
    ),
)


# --------------------------------------------------------------------------- candidates and their paths

CLEARED_AT = datetime(2026, 2, 24, 9, 30, tzinfo=UTC)

CANDIDATES: tuple[CandidateSpec, ...] = (
    CandidateSpec(
        full_name="陈思远",
        email="chen.siyuan@example.com",
        phone="+86 138 0571 2301",
        resume_text=(
            "2025届本科毕业生,浙江财经大学金融学专业。曾在农商银行营业部实习三个月,协助办理开户、存取款和凭证整理;"
            "校点钞技能大赛一等奖,持有银行业专业人员职业资格(初级)。\n"
            "BA in Finance, Zhejiang University of Finance and Economics (2025). Three-month internship at a rural "
            "commercial bank branch: account opening, deposits and withdrawals, voucher filing. First prize in the "
            "university cash-counting contest; China banking professional qualification (junior)."
        ),
        applications=(
            ApplicationSpec(
                "campus_teller_2026",
                ApplicationStage.HIRED,
                hire=HireSpec(
                    "E2026001",
                    date(2026, 3, 2),
                    CLEARED_AT,
                    kpi_actuals=(
                        KpiActualSpec("teller_error_rate", "2026-08", 0.05, 0.04),
                        KpiActualSpec("teller_error_rate", "2026-09", 0.05, 0.06),
                        KpiActualSpec("teller_error_rate", "2026-10", 0.05, 0.03),
                        KpiActualSpec("teller_transactions_per_day", "2026-08", 80, 86),
                        KpiActualSpec("teller_transactions_per_day", "2026-09", 80, 91),
                        KpiActualSpec("teller_transactions_per_day", "2026-10", 85, 88),
                        KpiActualSpec("customer_satisfaction", "2026-Q2", 90, 92.5),
                        KpiActualSpec("customer_satisfaction", "2026-Q3", 90, 94.1),
                    ),
                ),
            ),
        ),
    ),
    CandidateSpec(
        full_name="林晓雯",
        email="lin.xiaowen@example.com",
        phone="+86 139 0592 4417",
        resume_text=(
            "2025届厦门城市职业学院会计专业大专毕业,持初级会计职称。在连锁超市担任收银主管一年,负责日终对账和备用金管理。\n"
            "Associate degree in Accounting, Xiamen City University (2025); junior accountant certificate. One year as "
            "cashier supervisor at a supermarket chain, responsible for end-of-day reconciliation and the float."
        ),
        applications=(
            ApplicationSpec(
                "campus_teller_2026",
                ApplicationStage.REJECTED,
                left_at=ApplicationStage.SECOND_INTERVIEW,
                reason="复试现金清点实操差错两次,未达柜员上岗标准。 / Two errors in the cash-handling test at the second interview; below the teller standard.",
            ),
            ApplicationSpec("branch_teller", ApplicationStage.SCREENING),
        ),
    ),
    CandidateSpec(
        full_name="刘雨桐",
        email="liu.yutong@example.com",
        phone="+86 137 2815 6630",
        resume_text=(
            "在村镇银行担任综合柜员三年,年均办理业务约1.8万笔,连续两年零差错,获“服务之星”称号;熟悉反洗钱客户身份识别流程。\n"
            "Three years as a general teller at a village bank, about 18,000 transactions a year with zero errors for two "
            "years running; 'Service Star' award; familiar with AML customer due diligence."
        ),
        applications=(
            ApplicationSpec(
                "branch_teller",
                ApplicationStage.HIRED,
                hire=HireSpec(
                    "E2026002",
                    date(2026, 4, 13),
                    CLEARED_AT,
                    kpi_actuals=(
                        KpiActualSpec("teller_error_rate", "2026-08", 0.05, 0.08),
                        KpiActualSpec("teller_error_rate", "2026-09", 0.05, 0.05),
                        KpiActualSpec("teller_error_rate", "2026-10", 0.05, 0.04),
                        KpiActualSpec("teller_transactions_per_day", "2026-08", 80, 72),
                        KpiActualSpec("teller_transactions_per_day", "2026-09", 80, 78),
                        KpiActualSpec("teller_transactions_per_day", "2026-10", 85, 83),
                        KpiActualSpec("customer_satisfaction", "2026-Q3", 90, 88.6),
                    ),
                ),
            ),
        ),
    ),
    CandidateSpec(
        full_name="张佳怡",
        email="zhang.jiayi@example.com",
        phone="+86 136 6120 3398",
        resume_text=(
            "证券公司营业部客户服务专员两年,负责开户、适当性评估和客户投诉处理,客户满意度连续四个季度排名营业部第一。\n"
            "Two years as a client-service specialist at a securities brokerage branch: account opening, suitability "
            "assessments and complaint handling; top client-satisfaction score in the branch for four quarters in a row."
        ),
        applications=(ApplicationSpec("branch_teller", ApplicationStage.OFFER),),
    ),
    CandidateSpec(
        full_name="黄子轩",
        email="huang.zixuan@example.com",
        phone="+86 135 1024 7782",
        resume_text=(
            "2026届广东财经大学统计学专业本科,熟练使用Excel与Python做数据整理;曾在银行网点做大堂引导志愿者。\n"
            "BSc in Statistics, Guangdong University of Finance and Economics (2026). Comfortable with Excel and Python "
            "for data work; volunteered as a lobby guide at a bank branch."
        ),
        applications=(ApplicationSpec("branch_teller", ApplicationStage.AI_INTERVIEW),),
    ),
    CandidateSpec(
        full_name="周欣然",
        email="zhou.xinran@example.com",
        phone="+86 158 0210 5564",
        resume_text=(
            "连锁药房店长四年,管理8名员工、月销售额约60万元,负责现金日结与库存盘点,希望转型进入银行零售服务岗位。\n"
            "Four years as manager of a chain pharmacy: eight staff, about CNY 600k monthly sales, daily cash settlement "
            "and stock-takes. Looking to move into retail banking service."
        ),
        applications=(ApplicationSpec("branch_teller", ApplicationStage.SCREENING),),
        biometric_consent=False,
    ),
    CandidateSpec(
        full_name="王浩然",
        email="wang.haoran@example.com",
        phone="+86 139 1766 2045",
        resume_text=(
            "股份制银行对公客户经理五年,管户企业62户,个人年均贷款投放1.5亿元,不良率为零;擅长制造业供应链金融方案。\n"
            "Five years as a corporate relationship manager at a joint-stock bank: 62 corporate clients, about "
            "CNY 150 million in new loans a year with no non-performing loans; specialises in manufacturing supply-chain finance."
        ),
        applications=(
            ApplicationSpec(
                "corporate_customer_manager",
                ApplicationStage.HIRED,
                hire=HireSpec(
                    "E2026003",
                    date(2026, 4, 1),
                    CLEARED_AT,
                    kpi_actuals=(
                        KpiActualSpec("new_customers", "2026-Q2", 8, 9),
                        KpiActualSpec("new_customers", "2026-Q3", 10, 12),
                        KpiActualSpec("loan_volume", "2026-Q2", 3000, 2650),
                        KpiActualSpec("loan_volume", "2026-Q3", 4000, 4380),
                        KpiActualSpec("customer_satisfaction", "2026-Q2", 90, 91.2),
                        KpiActualSpec("customer_satisfaction", "2026-Q3", 90, 93.0),
                    ),
                ),
            ),
        ),
    ),
    CandidateSpec(
        full_name="吴俊杰",
        email="wu.junjie@example.com",
        phone="+86 186 2139 4471",
        resume_text=(
            "商业保理公司业务经理四年,累计办理应收账款保理业务约9亿元,熟悉核心企业确权与供应链融资风控。\n"
            "Four years as business manager at a commercial factoring company, about CNY 900 million of receivables "
            "factoring in total; knows anchor-company confirmation and supply-chain finance risk control."
        ),
        applications=(ApplicationSpec("corporate_customer_manager", ApplicationStage.SECOND_INTERVIEW),),
    ),
    CandidateSpec(
        full_name="郑雅琪",
        email="zheng.yaqi@example.com",
        phone="+86 150 5923 8806",
        resume_text=(
            "城商行公司业务部客户经理三年,负责科技型中小企业授信,年新增客户20余户。\n"
            "Three years as a corporate relationship manager at a city commercial bank, covering tech SMEs; more than 20 "
            "new clients a year."
        ),
        applications=(
            ApplicationSpec(
                "corporate_customer_manager",
                ApplicationStage.WITHDRAWN,
                left_at=ApplicationStage.OFFER,
                reason="候选人已接受其他银行的录用通知。 / The candidate accepted an offer from another bank.",
            ),
        ),
    ),
    CandidateSpec(
        full_name="孙志强",
        email="sun.zhiqiang@example.com",
        phone="+86 133 0451 2289",
        resume_text=(
            "工业设备制造企业大客户销售六年,年销售额超过5000万元,熟悉制造业客户的采购与回款周期,希望转型银行对公业务。\n"
            "Six years in key-account sales at an industrial equipment maker, over CNY 50 million in annual sales; knows "
            "manufacturers' purchasing and payment cycles and wants to move into corporate banking."
        ),
        applications=(ApplicationSpec("corporate_customer_manager", ApplicationStage.AI_INTERVIEW),),
    ),
    CandidateSpec(
        full_name="赵明哲",
        email="zhao.mingzhe@example.com",
        phone="+86 188 1062 3375",
        resume_text=(
            "上海财经大学金融工程硕士,消费金融公司风控模型岗两年,负责申请评分卡与反欺诈规则开发,熟练使用Python、SQL和SAS;FRM持证。\n"
            "MSc in Financial Engineering, Shanghai University of Finance and Economics. Two years in risk modelling at a "
            "consumer-finance company building application scorecards and anti-fraud rules; Python, SQL, SAS; FRM charterholder."
        ),
        applications=(
            ApplicationSpec(
                "credit_risk_analyst",
                ApplicationStage.HIRED,
                hire=HireSpec(
                    "E2026004",
                    date(2026, 6, 1),
                    CLEARED_AT,
                    kpi_actuals=(
                        KpiActualSpec("risk_model_accuracy", "2026-Q3", 85, 87.4),
                        KpiActualSpec("risk_alert_backlog", "2026-08", 20, 26),
                        KpiActualSpec("risk_alert_backlog", "2026-09", 20, 18),
                        KpiActualSpec("risk_alert_backlog", "2026-10", 15, 12),
                    ),
                ),
            ),
        ),
    ),
    CandidateSpec(
        full_name="何静",
        email="he.jing@example.com",
        phone="+86 151 2780 6193",
        resume_text=(
            "农商银行授信审批岗三年,年审查对公授信项目约150笔,熟悉小微企业财务分析与押品管理;通过FRM一级。\n"
            "Three years as a credit approver at a rural commercial bank, reviewing about 150 corporate credit files a "
            "year; strong in SME financial analysis and collateral management; passed FRM Part I."
        ),
        applications=(ApplicationSpec("credit_risk_analyst", ApplicationStage.SECOND_INTERVIEW),),
    ),
    CandidateSpec(
        full_name="马俊",
        email="ma.jun@example.com",
        phone="+86 177 0931 4520",
        resume_text=(
            "互联网公司运营专员一年,负责活动数据看板和用户增长分析,无信贷或风险管理相关经验。\n"
            "One year as an operations specialist at an internet company, building campaign dashboards and user-growth "
            "analyses; no credit or risk-management experience."
        ),
        applications=(
            ApplicationSpec(
                "credit_risk_analyst",
                ApplicationStage.REJECTED,
                left_at=ApplicationStage.SCREENING,
                reason="缺少信贷分析与风险管理经验。 / No credit analysis or risk-management experience.",
            ),
        ),
    ),
)

ADVANCE_REASONS: dict[ApplicationStage, str] = {
    ApplicationStage.AI_INTERVIEW: "简历筛选通过,进入AI面试。 / Passed resume screening; moved to the AI interview.",
    ApplicationStage.SECOND_INTERVIEW: "AI面试表现良好,进入复试。 / Strong AI interview; invited to the second interview.",
    ApplicationStage.OFFER: "复试通过,发放录用通知。 / Passed the second interview; offer extended.",
}
"""Reasons written to the stage history for each forward move."""

PIPELINE: tuple[ApplicationStage, ...] = (
    ApplicationStage.SCREENING,
    ApplicationStage.AI_INTERVIEW,
    ApplicationStage.SECOND_INTERVIEW,
    ApplicationStage.OFFER,
)

BACKGROUND_CHECK_PROVIDER = "信达背景调查 / Xinda Background Screening"
BACKGROUND_CHECK_NOTES = "学历、工作经历与个人征信核查无异常。 / Education, employment history and personal credit report verified; no issues."


# --------------------------------------------------------------------------- service inputs


def competency_model_input(spec: CompetencyModelSpec) -> dict:
    return {
        "key": spec.key,
        "name_zh": spec.name_zh,
        "name_en": spec.name_en,
        "description": spec.description,
        "notes": spec.notes,
        "dimensions": [
            {
                "key": dimension.key,
                "name_zh": dimension.name_zh,
                "name_en": dimension.name_en,
                "description_zh": dimension.description_zh,
                "description_en": dimension.description_en,
                "weight": dimension.weight,
                "questions": [
                    {
                        "prompt_zh": question.prompt_zh,
                        "prompt_en": question.prompt_en,
                        "time_limit_seconds": question.time_limit_seconds,
                        "rubric_keywords": list(question.rubric_keywords),
                        "excellent_answers": list(question.excellent_answers),
                    }
                    for question in dimension.questions
                ],
            }
            for dimension in spec.dimensions
        ],
    }


def kpi_input(spec: KpiSpec) -> dict:
    return {
        "key": spec.key,
        "name_zh": spec.name_zh,
        "name_en": spec.name_en,
        "unit": spec.unit,
        "direction": spec.direction,
        "period_kind": spec.period_kind,
    }


def candidate_input(spec: CandidateSpec) -> dict:
    consents = [
        (ConsentKind.DATA_PROCESSING, True),
        (ConsentKind.AI_PROCESSING, True),
        (ConsentKind.BIOMETRIC, spec.biometric_consent),
    ]
    return {
        "full_name": spec.full_name,
        "email": spec.email,
        "phone": spec.phone,
        "resume_text": spec.resume_text,
        "consents": [
            {"kind": kind, "notice_version": NOTICE_VERSION, "granted": granted} for kind, granted in consents
        ],
    }


def hire_input(spec: HireSpec) -> dict:
    return {
        "employee_number": spec.employee_number,
        "start_date": spec.start_date,
        "background_check": {
            "status": BackgroundCheckStatus.CLEAR,
            "provider": BACKGROUND_CHECK_PROVIDER,
            "notes": BACKGROUND_CHECK_NOTES,
            "completed_at": spec.background_check_completed_at,
        },
    }


# --------------------------------------------------------------------------- loading


async def load_demo_data() -> bool:
    """Load the demo dataset in one unit of work; False (writing nothing) when it is already there."""
    try:
        async with unit_of_work() as uow:
            if await _demo_present(uow.session):
                return False
            await _load(uow.session)
    except (DomainError, IntegrityError):
        # Two start-ups racing: the loser's transaction is rolled back; if the winner's demo
        # is now committed, that is the same outcome as finding it there.
        async with read_session() as session:
            if await _demo_present(session):
                return False
        raise
    logger.info(
        "demo data loaded: %d competency models, %d KPIs, %d requisitions, %d candidates",
        len(COMPETENCY_MODELS),
        len(KPIS),
        len(REQUISITIONS),
        len(CANDIDATES),
    )
    return True


async def _demo_present(session: AsyncSession) -> bool:
    result = await session.exec(select(CompetencyModel.id).where(CompetencyModel.key == MARKER_MODEL_KEY))
    return result.first() is not None


async def _load(session: AsyncSession) -> None:
    version_ids: dict[str, int] = {}
    dimension_ids: dict[tuple[str, str], int] = {}
    for model_spec in COMPETENCY_MODELS:
        _, version = await create_competency_model(
            competency_model_input(model_spec), session=session, actor=SEED_ACTOR
        )
        assert version.id is not None
        version_ids[model_spec.key] = version.id
        dimensions = await session.exec(select(Dimension).where(Dimension.model_version_id == version.id))
        for dimension in dimensions.all():
            assert dimension.id is not None
            dimension_ids[(model_spec.key, dimension.key)] = dimension.id

    kpi_ids: dict[str, int] = {}
    for kpi_spec in KPIS:
        kpi = await create_kpi_definition(kpi_input(kpi_spec), session=session, actor=SEED_ACTOR)
        assert kpi.id is not None
        kpi_ids[kpi_spec.key] = kpi.id

    # Links before hires: hiring assigns the KPIs linked to the pinned version's dimensions.
    for model_spec in COMPETENCY_MODELS:
        for dimension_spec in model_spec.dimensions:
            for kpi_key in dimension_spec.predicts:
                await link_dimension_to_kpi(
                    dimension_ids[(model_spec.key, dimension_spec.key)],
                    kpi_ids[kpi_key],
                    session=session,
                    actor=SEED_ACTOR,
                )

    requisition_ids: dict[str, int] = {}
    for requisition_spec in REQUISITIONS:
        requisition = await create_requisition(
            {
                "title": requisition_spec.title,
                "department": requisition_spec.department,
                "business_line": requisition_spec.business_line,
                "headcount": requisition_spec.headcount,
            },
            version_ids[requisition_spec.model],
            session=session,
            actor=SEED_ACTOR,
        )
        assert requisition.id is not None
        requisition_ids[requisition_spec.key] = requisition.id

    for candidate_spec in CANDIDATES:
        candidate = await create_candidate(candidate_input(candidate_spec), session=session, actor=SEED_ACTOR)
        assert candidate.id is not None
        for application_spec in candidate_spec.applications:
            application = await apply(
                candidate.id, requisition_ids[application_spec.requisition], session=session, actor=SEED_ACTOR
            )
            assert application.id is not None
            await _advance(application.id, application_spec, session=session)
            if application_spec.hire is not None:
                await _hire(application.id, application_spec.hire, kpi_ids, session=session)

    # Closed last: applications can only be made while a requisition is open.
    for requisition_spec in REQUISITIONS:
        if requisition_spec.close_reason is not None:
            await close_requisition(
                requisition_ids[requisition_spec.key],
                requisition_spec.close_reason,
                session=session,
                actor=SEED_ACTOR,
            )


async def _advance(application_id: int, spec: ApplicationSpec, *, session: AsyncSession) -> None:
    """Walk an application from screening to its demo stage with legal moves only."""
    if spec.stage is ApplicationStage.AI_INTERVIEW:
        # Open AI interviews get a real invitation (screening → ai_interview); the raw token is not kept.
        await invite_to_interview(application_id, session=session, actor=SEED_ACTOR, ttl_hours=INVITATION_TTL_HOURS)
        return
    if spec.stage in (ApplicationStage.REJECTED, ApplicationStage.WITHDRAWN):
        assert spec.left_at is not None, "a closed application needs the stage it left from"
        last = spec.left_at
    elif spec.stage is ApplicationStage.HIRED:
        last = ApplicationStage.OFFER  # the hire itself is the last move
    else:
        last = spec.stage
    for stage in PIPELINE[1 : PIPELINE.index(last) + 1]:
        await move_stage(application_id, stage, ADVANCE_REASONS[stage], session=session, actor=SEED_ACTOR)
    if spec.stage in (ApplicationStage.REJECTED, ApplicationStage.WITHDRAWN):
        await move_stage(application_id, spec.stage, spec.reason, session=session, actor=SEED_ACTOR)


async def _hire(application_id: int, spec: HireSpec, kpi_ids: dict[str, int], *, session: AsyncSession) -> None:
    employee = await hire(hire_input(spec), application_id, session=session, actor=SEED_ACTOR)
    assert employee.id is not None
    for actual in spec.kpi_actuals:
        await record_kpi_actual(
            {"period": actual.period, "target": actual.target, "actual": actual.actual},
            employee.id,
            kpi_ids[actual.kpi],
            session=session,
            actor=SEED_ACTOR,
        )
