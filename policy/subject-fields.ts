import type { SubjectFieldSpec } from '../domain/subject-field.js';

/** The subject profile schema: every field a profile may hold, with its category and sensitivity. */
export const subjectFields: readonly SubjectFieldSpec[] = [
  { name: 'email', type: 'email', category: 'contact', description: 'Email address; the address field of the email channel', labels: { en: 'Email address', 'zh-CN': '电子邮件地址' } },
  { name: 'phone', type: 'phone', category: 'contact', description: 'Mobile number in E.164; the address field of the sms channel', labels: { en: 'Mobile number', 'zh-CN': '手机号码' } },
  { name: 'first_name', type: 'string', category: 'identity', labels: { en: 'First name', 'zh-CN': '名字' } },
  { name: 'last_name', type: 'string', category: 'identity', labels: { en: 'Last name', 'zh-CN': '姓氏' } },
  { name: 'locale', type: 'locale', category: 'preference', labels: { en: 'Language', 'zh-CN': '语言' } },
  { name: 'timezone', type: 'timezone', category: 'preference', labels: { en: 'Time zone', 'zh-CN': '时区' } },
  { name: 'country', type: 'country', category: 'demographic', labels: { en: 'Country', 'zh-CN': '国家或地区' } },
  { name: 'city', type: 'string', category: 'demographic', labels: { en: 'City', 'zh-CN': '城市' } },
  { name: 'postal_code', type: 'string', category: 'demographic', labels: { en: 'Postcode', 'zh-CN': '邮政编码' } },
  { name: 'birth_year', type: 'integer', category: 'demographic', min: 1900, max: 2100, description: 'Year only, never the full date (minimum necessary)', labels: { en: 'Year of birth', 'zh-CN': '出生年份' } },
  { name: 'gender', type: 'enum', category: 'demographic', values: ['female', 'male', 'diverse', 'undisclosed'], labels: { en: 'Gender', 'zh-CN': '性别' } },
  { name: 'loyalty_tier', type: 'enum', category: 'behavioural', values: ['none', 'silver', 'gold', 'platinum'], labels: { en: 'Loyalty tier', 'zh-CN': '会员等级' } },
  { name: 'customer_since', type: 'date', category: 'behavioural', labels: { en: 'Customer since', 'zh-CN': '成为顾客的日期' } },
  { name: 'last_purchase_at', type: 'datetime', category: 'behavioural', labels: { en: 'Last purchase', 'zh-CN': '最近一次购买' } },
  { name: 'last_open_at', type: 'datetime', category: 'behavioural', labels: { en: 'Last email opened', 'zh-CN': '最近一次打开邮件' } },
  { name: 'preferred_store', type: 'string', category: 'preference', labels: { en: 'Preferred store', 'zh-CN': '常去的门店' } },
  { name: 'favourite_category', type: 'string', category: 'preference', labels: { en: 'Favourite category', 'zh-CN': '喜爱的品类' } },
  { name: 'marketing_frequency', type: 'enum', category: 'preference', values: ['daily', 'weekly', 'monthly'], labels: { en: 'How often we may write', 'zh-CN': '营销信息频率' } },
  { name: 'ad_id_hash', type: 'string', category: 'identity', description: 'Keyed hash for ad-audience matching; never the raw address', labels: { en: 'Advertising match key', 'zh-CN': '广告匹配标识' } },
  { name: 'health_interest', type: 'string', category: 'sensitive', sensitive: true, description: 'Declared health interest (PIPL 28 sensitive)', labels: { en: 'Health interest', 'zh-CN': '健康兴趣' } },
];
